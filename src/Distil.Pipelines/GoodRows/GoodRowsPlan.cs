namespace Distil.Pipelines;

/// <summary>
/// The rounds of a run with a <see cref="GoodRows"/> goal: which source grows, at which step the
/// good rows are counted, and how many rows the next round generates.
/// </summary>
internal sealed class GoodRowsPlan(GoodRowsSource source, PipelineStep goal)
{
    public GoodRowsSource Source { get; } = source;

    /// <summary>The step whose rows are the good ones: the last before the writers.</summary>
    public PipelineStep Goal { get; } = goal;

    public GoodRows Rows => Source.Goal;

    /// <summary>The plan of <paramref name="order"/>, null when no loader has a <see cref="GoodRows"/> goal.</summary>
    /// <exception cref="PipelineException">The pipeline does not end in one step (beside its writers), or has two goals.</exception>
    public static GoodRowsPlan? Find(IReadOnlyList<PipelineStep> order, PipelineRunOptions options)
    {
        var loads = order.OfType<LoadNode>().Where(l => l.Source is GoodRowsSource).ToList();
        if (loads.Count == 0) return null;
        if (loads.Count > 1)
        {
            throw new PipelineException($"Steps {string.Join(", ", loads.Select(l => $"'{l.Name}'"))} each generate until enough rows are good; a pipeline can have one such goal.");
        }
        if (options.Shard is not null)
        {
            throw new PipelineException($"Step '{loads[0].Name}' generates until enough rows are good, which a shard cannot: the rounds need every row. Run it without a shard.");
        }
        // The good rows are those of the one step every writer writes: with several ends, "good" would mean two things.
        var ends = order.Where(s => s.Children.Count == 0).Select(EndOf).Distinct().ToList();
        if (ends.Count != 1)
        {
            throw new PipelineException(
                $"Step '{loads[0].Name}' generates until enough rows are good, so the pipeline must end in one step (followed by its writers) where they are counted; it ends in {string.Join(", ", ends.Select(e => $"'{e.Name}'"))}.");
        }
        return new GoodRowsPlan((GoodRowsSource)loads[0].Source, ends[0]);
    }

    private static PipelineStep EndOf(PipelineStep leaf)
    {
        var step = leaf;
        while (step is WriteNode && step.Parents.Count == 1) step = step.Parents[0];
        return step;
    }

    /// <summary>
    /// The source's size in the next round: enough more rows to make up what is missing at the
    /// survival rate seen so far (twice as many when nothing survived), within the bound.
    /// </summary>
    public static long NextRows(long generated, long survivors, long target, long maxRows)
    {
        long next;
        if (survivors <= 0) next = generated * 2;
        else
        {
            var missing = target - survivors;
            next = generated + (long)Math.Ceiling((double)missing * generated / survivors);
        }
        return Math.Min(maxRows, Math.Max(next, generated + 1));
    }
}
