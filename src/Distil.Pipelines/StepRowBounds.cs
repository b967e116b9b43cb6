using System.Collections.Immutable;

namespace Distil.Pipelines;

/// <summary>
/// How many rows a step gives, known before the run: exactly, at most (an upper bound), or not at
/// all (with the reason). <see cref="Basis"/> says how the figure was reached, step by step.
/// </summary>
/// <param name="Rows">The rows, or null when no bound can be known before the run.</param>
/// <param name="Exact">Whether <paramref name="Rows"/> is exact (else it is an upper bound).</param>
/// <param name="OnePerSourceRow">Whether every source row gives exactly one row here (so a join keeps them all).</param>
/// <param name="Splits">Whether a source row may give several rows here (which a join refuses).</param>
/// <param name="Basis">How the figure was reached, or why there is none; empty when it was counted on the source's rows.</param>
/// <param name="ListLengths">List columns whose length is known from settings: a grouped task's outputs, a group step's lists.</param>
internal sealed record StepRows(long? Rows, bool Exact, bool OnePerSourceRow, bool Splits, ImmutableList<string> Basis, ImmutableDictionary<string, int> ListLengths)
{
    private static readonly ImmutableDictionary<string, int> NoLists = ImmutableDictionary.Create<string, int>(StringComparer.Ordinal);

    /// <summary>Rows counted by reading the source through the plain steps before.</summary>
    public static StepRows Counted(long rows, bool exact, bool onePerSourceRow, bool splits, IEnumerable<string> basis) =>
        new(rows, exact, onePerSourceRow, splits, [.. basis], NoLists);

    /// <summary>No bound: <paramref name="why"/> says what decides the count.</summary>
    public static StepRows Unknown(string why) => new(null, false, false, false, [why], NoLists);

    /// <summary>At most as many rows as before: the step may drop some.</summary>
    public StepRows AtMost(string why) => this with { Exact = false, OnePerSourceRow = false, Basis = Basis.Add(why) };

    /// <summary>The rows times <paramref name="factor"/>, exact when both are.</summary>
    public StepRows Times(long factor, bool exact, string why) =>
        this with { Rows = Rows * factor, Exact = Exact && exact, OnePerSourceRow = OnePerSourceRow && factor == 1 && exact, Splits = Splits || factor > 1, Basis = Basis.Add(why) };
}

/// <summary>
/// Bounds the rows of every step before the run. Steps fed by a source through plain row steps are
/// counted on the source's rows; the others are bounded from their parents by what the step does:
/// a task gives a row per generation (one when grouped), a join one row per source row all its
/// branches keep, a filter, dedup or dropping validator at most its input, an expansion its input
/// times the lists' length when settings fix it (grouped generations, a group step, a schema's
/// <c>[MaxLength]</c>).
/// </summary>
internal static class StepRowBounds
{
    /// <summary>The bound of <paramref name="step"/> from its parents' (<paramref name="parents"/>, in order) and their schemas.</summary>
    public static StepRows After(PipelineStep step, IReadOnlyList<StepRows> parents, IReadOnlyList<RowSchema?> parentSchemas)
    {
        if (parents.Count == 0) return StepRows.Unknown($"step '{step.Name}' ({step.Kind}) has no input");
        if (step is JoinNode join) return Joined(join, parents.ToList());
        var before = parents[0];
        if (before.Rows is null) return before;
        return step switch
        {
            TaskNode task => Task(task, before),
            FilterNode => before.AtMost($"filter '{step.Name}' may drop rows"),
            DedupNode => before.AtMost($"dedup '{step.Name}' drops duplicates"),
            ValidateNode { KeepValidOnly: true } => before.AtMost($"validate '{step.Name}' drops rows that fail"),
            ExpandColumnsNode expand => Expanded(expand, before, parentSchemas[0]),
            KeepColumnsNode keep => before with { ListLengths = before.ListLengths.Where(l => keep.Columns.Contains(l.Key)).ToImmutableDictionary(StringComparer.Ordinal) },
            RenameColumnsNode rename => before with { ListLengths = before.ListLengths.ToImmutableDictionary(l => rename.Renames.GetValueOrDefault(l.Key, l.Key), l => l.Value, StringComparer.Ordinal) },
            MapNode map => before with { ListLengths = before.ListLengths.RemoveRange(map.Writes) },
            // One row out per row in: an embedding, a marking validator, a write.
            EmbedNode or ValidateNode or WriteNode => before,
            GlobalNode => StepRows.Unknown($"global step '{step.Name}' runs a function over all rows, which may return any number of them: its count is known only once it has run"),
            // Any other kind (format_sft, regroup, a package's such as evaluate) says its own rule.
            _ => Follow(step.CountRows(new RowCountContext(parentSchemas, before.ListLengths)), before),
        };
    }

    // A step's own rule applied to its first input's bound.
    private static StepRows Follow(RowCountRule rule, StepRows before)
    {
        var after = rule.Relation switch
        {
            RowCountRelation.Same => rule.Reason is null ? before : before with { Basis = before.Basis.Add(rule.Reason) },
            RowCountRelation.AtMost => before.AtMost(rule.Reason!),
            RowCountRelation.Times => before.Times(rule.Factor, rule.Exact, rule.Reason!),
            _ => StepRows.Unknown(rule.Reason!),
        };
        return rule.ListLengths.Count == 0 || after.Rows is null ? after : after with { ListLengths = after.ListLengths.SetItems(rule.ListLengths) };
    }

    // Rule: a task gives one row per generation, or one row per input row when it groups them
    // (a failed call still gives its row, with null outputs).
    private static StepRows Task(TaskNode node, StepRows before)
    {
        var task = node.Task;
        var perRow = task.GroupGenerations ? 1 : task.NumGenerations;
        var after = perRow == 1 ? before : before.Times(perRow, exact: true, $"task '{node.Name}' gives a row per generation ({perRow})");
        var lists = after.ListLengths.RemoveRange(node.OutputColumns);
        if (task.GroupGenerations) lists = lists.SetItems(node.OutputColumns.Select(c => KeyValuePair.Create(c, task.NumGenerations)));
        return after with { ListLengths = lists };
    }

    // Rule: a join gives one row per source row that every branch has (a branch that split rows
    // is refused when the run reaches it), so at most its smallest branch, and exactly the source's
    // rows when every branch keeps one row per source row.
    private static StepRows Joined(JoinNode join, List<StepRows> parents)
    {
        if (parents.FirstOrDefault(p => p.Rows is null) is { } unknown) return unknown;
        if (parents.FindIndex(p => p.Splits) is var split and >= 0)
        {
            return StepRows.Unknown(
                $"{join.Kind} '{join.Name}' joins rows by their source row, but '{join.Parents[split].Name}' gives several rows for one source row, which the run refuses there: " +
                "set group_generations on a task with several generations, or expand after the join");
        }
        var fewest = parents.MinBy(p => p.Rows!.Value)!;
        var basis = parents.SelectMany(p => p.Basis).Distinct(StringComparer.Ordinal).ToImmutableList();
        var lists = parents.Aggregate(ImmutableDictionary.Create<string, int>(StringComparer.Ordinal), (all, p) => all.SetItems(p.ListLengths));
        if (join is GroupColumnsNode group)
        {
            lists = lists.RemoveRange(group.Columns).SetItems(group.OutputColumns.Select(c => KeyValuePair.Create(c, parents.Count)));
        }
        var whole = parents.All(p => p.Exact && p.OnePerSourceRow) && parents.All(p => p.Rows == fewest.Rows);
        return whole
            ? new StepRows(fewest.Rows, true, true, false, basis.Add($"{join.Kind} '{join.Name}' keeps the source's {fewest.Rows:N0} rows (one per source row, joined across its {parents.Count} branches)"), lists)
            : new StepRows(fewest.Rows, false, false, false, basis.Add($"{join.Kind} '{join.Name}' keeps at most the rows of its smallest branch"), lists);
    }

    // Rule: one row per item of the lists; their length is fixed by settings (grouped generations, a
    // group step's branches), bounded by a schema's [MaxLength], or known only from the rows.
    private static StepRows Expanded(ExpandColumnsNode expand, StepRows before, RowSchema? schema)
    {
        var lists = before.ListLengths.RemoveRange(expand.Columns.Keys);
        foreach (var column in expand.Columns.Keys)
        {
            if (before.ListLengths.TryGetValue(column, out var length))
            {
                return before.Times(length, exact: true, $"expand_columns '{expand.Name}' gives a row per item of '{column}' ({length})") with { ListLengths = lists };
            }
        }
        foreach (var column in expand.Columns.Keys)
        {
            if (schema?.Find(column)?.Rules?.MaxLength is { } most)
            {
                return before.Times(most, exact: false, $"expand_columns '{expand.Name}' gives a row per item of '{column}' (at most {most}, its schema's longest list)") with { ListLengths = lists };
            }
        }
        var columns = string.Join(", ", expand.Columns.Keys.Select(c => $"'{c}'"));
        return StepRows.Unknown(
            $"expand_columns '{expand.Name}' gives a row per item of {columns}, whose length is known only from the rows: no setting fixes it (group the generations, or give the list a [MaxLength] to bound it)");
    }
}
