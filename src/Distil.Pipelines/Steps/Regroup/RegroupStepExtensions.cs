namespace Distil.Pipelines;

/// <summary>
/// Fan out and regroup: run steps once per item of a list column, or per generation of a task,
/// and gather their outputs back into lists on the row they came from.
/// </summary>
/// <example>
/// A one-answer grader over three generations, one row per question:
/// <code>
/// var answers = questions.Then(new TextGeneration { Llm = llm, NumGenerations = 3, GroupGenerations = true });
/// answers.ForEach("generations", "generation", each => each.Then(new InstructionBacktranslation { Llm = judge }),
///     gather: new Dictionary&lt;string, string&gt; { ["score"] = "ratings" });
/// // rows: instruction, generations (3), ratings (3, aligned with generations), ...
/// </code>
/// </example>
public static class RegroupStepExtensions
{
    /// <summary>
    /// Runs the steps <paramref name="each"/> builds once per item of the list column
    /// <paramref name="listColumn"/> (each row of theirs holds one item as <paramref name="itemColumn"/>),
    /// then gathers the columns named in <paramref name="gather"/> (item column → list column) back
    /// onto this step's row, as lists in item order. An item the steps drop (a filter) leaves null in
    /// its slot, so every gathered list has as many items as <paramref name="listColumn"/>.
    /// </summary>
    /// <param name="source">The step whose rows hold the list.</param>
    /// <param name="listColumn">The list column to fan out over; it stays on the row.</param>
    /// <param name="itemColumn">The column that holds one item on the rows <paramref name="each"/> sees.</param>
    /// <param name="each">Builds the steps that run per item, from the step it is given; returns the last of them.</param>
    /// <param name="gather">Item column → the list column it becomes on the source row (an existing column of that name is replaced).</param>
    /// <param name="name">The regroup step's name (default <c>regroup</c>); the fan-out step is <c>&lt;name&gt;_items</c>.</param>
    /// <returns>The regroup step: one row per row of <paramref name="source"/>.</returns>
    /// <exception cref="ArgumentException">A column name is empty, <paramref name="gather"/> names no column, or <paramref name="each"/> did not continue from the step it was given.</exception>
    public static StepHandle ForEach(this StepHandle source, string listColumn, string itemColumn, Func<StepHandle, StepHandle> each,
        IReadOnlyDictionary<string, string> gather, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentException.ThrowIfNullOrWhiteSpace(listColumn);
        ArgumentException.ThrowIfNullOrWhiteSpace(itemColumn);
        ArgumentNullException.ThrowIfNull(each);
        CheckGather(gather, nameof(gather));
        var items = source.ExpandColumns(new Dictionary<string, string> { [listColumn] = itemColumn }, name is null ? null : name + "_items");
        var last = each(items) ?? throw new ArgumentException("ForEach's steps returned null; return the last step they add.", nameof(each));
        if (last.Pipeline != source.Pipeline || !Reaches(items.Step, last.Step))
        {
            throw new ArgumentException(
                $"ForEach's steps must continue from the step they are given ('{items.Name}', one '{itemColumn}' per row); '{last.Name}' does not.", nameof(each));
        }
        return last.Regroup(source, gather, over: listColumn, name);
    }

    /// <summary>
    /// Gathers the rows of this step, each one item of a row of <paramref name="source"/>, back into
    /// one row per source row: the columns named in <paramref name="columns"/> (item column → list
    /// column) become lists in item order on the source row. This step's rows must come from
    /// <paramref name="source"/>'s by a fan-out: <c>ExpandColumns</c>, or a task with several
    /// generations (<c>GroupGenerations = false</c>), followed by steps that keep one row per item.
    /// </summary>
    /// <param name="items">The step whose rows hold the items.</param>
    /// <param name="source">The step whose rows were fanned out; the result has its columns and its rows' order.</param>
    /// <param name="columns">Item column → the list column it becomes (an existing column of that name is replaced).</param>
    /// <param name="over">
    /// The list column of <paramref name="source"/> that was fanned out: each row then has as many
    /// slots as that list had items, and an item dropped anywhere (the last one too) is null. Without
    /// it, a row has as many slots as its last item that arrived, and a row whose items were all
    /// dropped has empty lists.
    /// </param>
    /// <param name="name">The step's name (default <c>regroup</c>).</param>
    /// <exception cref="ArgumentException">A column name is empty, two items go to one list, or the steps are of two pipelines.</exception>
    public static StepHandle Regroup(this StepHandle items, StepHandle source, IReadOnlyDictionary<string, string> columns, string? over = null, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(items);
        ArgumentNullException.ThrowIfNull(source);
        CheckGather(columns, nameof(columns));
        if (over is not null) ArgumentException.ThrowIfNullOrWhiteSpace(over);
        if (source.Pipeline != items.Pipeline) throw new ArgumentException($"Step '{source.Name}' belongs to another pipeline.", nameof(source));
        if (source.Step == items.Step) throw new ArgumentException($"Regroup gathers the rows of a fan-out from '{source.Name}' back onto it; give the step after the fan-out, not '{source.Name}' itself.", nameof(items));
        var pipeline = items.Pipeline;
        var handle = pipeline.Add(new RegroupNode(name ?? pipeline.AutoName("regroup"), columns, over));
        Pipeline.Connect(source.Step, handle.Step);
        Pipeline.Connect(items.Step, handle.Step);
        return handle;
    }

    private static void CheckGather(IReadOnlyDictionary<string, string> columns, string parameter)
    {
        ArgumentNullException.ThrowIfNull(columns, parameter);
        if (columns.Count == 0) throw new ArgumentException("Name at least one column to gather (item column → list column).", parameter);
        if (columns.Any(c => string.IsNullOrWhiteSpace(c.Key) || string.IsNullOrWhiteSpace(c.Value))) throw new ArgumentException("Column names must not be empty.", parameter);
        var twice = columns.GroupBy(c => c.Value, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
        if (twice is not null) throw new ArgumentException($"Columns {string.Join(" and ", twice.Select(c => $"'{c.Key}'"))} are both gathered into '{twice.Key}'; give each its own list column.", parameter);
    }

    // Whether 'to' is 'from' or a step after it.
    private static bool Reaches(PipelineStep from, PipelineStep to)
    {
        var seen = new HashSet<PipelineStep>();
        var stack = new Stack<PipelineStep>([from]);
        while (stack.Count > 0)
        {
            var step = stack.Pop();
            if (step == to) return true;
            if (!seen.Add(step)) continue;
            foreach (var child in step.Children) stack.Push(child);
        }
        return false;
    }
}
