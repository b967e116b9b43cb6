namespace Distil.Pipelines;

/// <summary>
/// A goal for <see cref="Pipeline.Generate(LlmTask, GoodRows, string?)"/>: make rows until
/// <see cref="Target"/> of them survive the pipeline's filters, validators and dedup, generating
/// at most <see cref="MaxRows"/> in all. The run goes in rounds: the first generates
/// <see cref="Target"/> rows, each later one as many more as the survival rate seen so far says are
/// missing. The dataset is the first <see cref="Target"/> survivors in generation order; a stopped
/// or killed run resumes and replays what it had, so it gives the same dataset as an uninterrupted one.
/// </summary>
/// <example>
/// <code>
/// pipeline.Generate(new JokeTask { Llm = llm }, new GoodRows(1000) { MaxRows = 3000 })
///     .Validate("joke", RowValidators.Regex("^.{20,}$"), keepValidOnly: true)
///     .Deduplicate("joke", new DedupOptions { Method = DedupMethod.Exact })
///     .Write(RowSinks.Jsonl("jokes.jsonl"));
/// var result = await pipeline.RunAsync();
/// if (!result.GoodRows!.Reached) Console.Error.WriteLine(result.GoodRows.Message);
/// </code>
/// </example>
public sealed class GoodRows
{
    /// <summary>How many rows <see cref="MaxRows"/> allows per good row asked for, when not set: 5.</summary>
    public const int DefaultMaxRowsPerGoodRow = 5;

    /// <summary>Asks for <paramref name="target"/> good rows.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="target"/> is below 1.</exception>
    public GoodRows(long target)
    {
        if (target < 1) throw new ArgumentOutOfRangeException(nameof(target), target, "GoodRows needs a target of 1 row or more.");
        Target = target;
    }

    /// <summary>How many rows must reach the end of the pipeline.</summary>
    public long Target { get; }

    /// <summary>
    /// The most rows the task may generate in all, good or not (default <see cref="Target"/> times
    /// <see cref="DefaultMaxRowsPerGoodRow"/>). When it is reached before <see cref="Target"/>, the run
    /// ends, writes no file and says how many good rows it has (<see cref="GoodRowsOutcome"/>).
    /// </summary>
    public long MaxRows
    {
        get => field == 0 ? checked(Target * DefaultMaxRowsPerGoodRow) : field;
        init => field = value >= Target ? value : throw new ArgumentOutOfRangeException(nameof(MaxRows), value, $"MaxRows ({value}) must be at least the target ({Target}).");
    }
}

/// <summary>What a run with a <see cref="GoodRows"/> goal got.</summary>
/// <param name="Target">The good rows asked for.</param>
/// <param name="Got">The good rows the dataset holds: <paramref name="Target"/> when reached, fewer when the bound came first.</param>
/// <param name="Generated">The rows the task has generated in all (this run and the runs it resumed).</param>
/// <param name="MaxRows">The bound on <paramref name="Generated"/>.</param>
/// <param name="Rounds">The size of the source in each round of this run (the last is <paramref name="Generated"/>).</param>
public sealed record GoodRowsOutcome(long Target, long Got, long Generated, long MaxRows, IReadOnlyList<long> Rounds)
{
    /// <summary>Whether the dataset has all <see cref="Target"/> rows (else the bound was reached first and no file was written).</summary>
    public bool Reached => Got >= Target;

    /// <summary>One line saying what the run got.</summary>
    public string Message => Reached
        ? $"{Target:N0} good rows from {Generated:N0} generated rows."
        : $"Only {Got:N0} of {Target:N0} good rows after generating {Generated:N0} rows, the bound (max rows {MaxRows:N0}); no file was written. " +
          "Raise the bound (GoodRows.MaxRows, \"max_rows\") or loosen the filters; the rows are kept in the run directory, so a new run asks only for new rows.";
}
