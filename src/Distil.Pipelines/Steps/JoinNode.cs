using System.Text.Json.Nodes;

namespace Distil.Pipelines;

/// <summary>
/// Joins the rows of several parents that come from the same source row (same key): rows every
/// parent has are merged; a row that some parent dropped (a filter) is dropped. Each parent must
/// give at most one row per key, so expand or group generations before or after the join, not
/// across it.
/// </summary>
internal abstract class JoinNode(string name) : PipelineStep(name)
{
    public override (int Min, int Max) ParentCount => (2, int.MaxValue);

    /// <summary>Merges the rows of one key, in parent order.</summary>
    protected abstract JsonObject Merge(IReadOnlyList<JsonObject> rows);

    internal override async Task RunAsync(StepRun run)
    {
        var count = run.Inputs.Length;
        var readers = Enumerable.Range(0, count).Select(i => run.ReadAsync(i, run.Cancellation).GetAsyncEnumerator(run.Cancellation)).ToArray();
        var heads = new KeyedRow?[count];
        var previous = new RowKey?[count];
        long sequence = 0;
        try
        {
            while (true)
            {
                for (var i = 0; i < count; i++)
                {
                    if (heads[i] is not null) continue;
                    if (!await readers[i].MoveNextAsync().ConfigureAwait(false)) return; // a parent ended: no more matches
                    var head = readers[i].Current;
                    if (previous[i] is { } last && last.Equals(head.Key))
                    {
                        throw new PipelineException(
                            $"Step '{Name}' joins rows by their source row, but '{Parents[i].Name}' gave two rows for row {head.Key}. " +
                            "Set GroupGenerations = true on a task with several generations, or expand after the join.");
                    }
                    previous[i] = head.Key;
                    heads[i] = head;
                }

                var depths = heads.Select(h => h!.Key.Text.Count(c => c == '.')).Distinct().Count();
                if (depths > 1)
                {
                    var keys = string.Join(", ", heads.Select((h, i) => $"'{Parents[i].Name}' row {h!.Key}"));
                    throw new PipelineException(
                        $"Step '{Name}' joins rows by their source row, but its branches split rows differently ({keys}). " +
                        "Set GroupGenerations = true on a task with several generations, or expand after the join.");
                }
                var newest = heads.Max(h => h!.Key);
                if (heads.All(h => h!.Key.Equals(newest)))
                {
                    var outputs = run.Replay(newest) ?? await SaveMergedAsync(run, newest, sequence).ConfigureAwait(false);
                    await run.EmitAsync(outputs).ConfigureAwait(false);
                    sequence++;
                    Array.Clear(heads);
                    continue;
                }
                // Rows are in key order on every input: a row behind the newest head has no partner left.
                for (var i = 0; i < count; i++)
                {
                    if (heads[i]!.Key.CompareTo(newest) < 0) heads[i] = null;
                }
            }

            async Task<IReadOnlyList<KeyedRow>> SaveMergedAsync(StepRun stepRun, RowKey key, long seq)
            {
                IReadOnlyList<KeyedRow> merged = [new KeyedRow(key, Merge(heads.Select(h => h!.Row).ToList()))];
                await stepRun.SaveAsync(key, seq, merged).ConfigureAwait(false);
                return merged;
            }
        }
        finally
        {
            foreach (var reader in readers) await reader.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>Columns of later rows overwrite earlier ones; metadata objects are merged key by key.</summary>
    protected static JsonObject Combine(IReadOnlyList<JsonObject> rows)
    {
        var merged = (JsonObject)rows[0].DeepClone();
        foreach (var row in rows.Skip(1))
        {
            foreach (var (column, value) in row)
            {
                if (column == LlmTask.DefaultMetadataColumn && merged[column] is JsonObject into && value is JsonObject from)
                {
                    foreach (var (key, item) in from) into[key] = item?.DeepClone();
                    continue;
                }
                merged[column] = value?.DeepClone();
            }
        }
        return merged;
    }

    // The columns of every parent; a column two parents carry must have one type in both.
    protected RowSchema? Union(IReadOnlyList<RowSchema?> parents)
    {
        if (parents.Any(p => p is null)) return null;
        var columns = new List<Column>();
        var from = new Dictionary<string, (Column Column, int Parent)>(StringComparer.Ordinal);
        for (var i = 0; i < parents.Count; i++)
        {
            foreach (var column in parents[i]!)
            {
                if (!from.TryGetValue(column.Name, out var earlier))
                {
                    from[column.Name] = (column, i);
                    columns.Add(column);
                    continue;
                }
                if (SchemaWidening.Widen(earlier.Column.Type, column.Type) is not { } type)
                {
                    throw new PipelineException(
                        $"Step '{Name}' ({Kind}) joins column '{column.Name}' as {earlier.Column.Type} from '{Parents[earlier.Parent].Name}' and as {column.Type} from '{Parents[i].Name}'; " +
                        "a column must have one type. Rename one of them, or keep only one before the join.");
                }
                var merged = earlier.Column with
                {
                    Type = type,
                    Nullable = earlier.Column.Nullable || column.Nullable,
                    Rules = Equals(earlier.Column.Rules, column.Rules) ? column.Rules : null, // rules hold only if both branches keep them
                };
                columns[columns.FindIndex(c => c.Name == column.Name)] = merged;
                from[column.Name] = (merged, earlier.Parent);
            }
        }
        return new RowSchema(columns);
    }
}

/// <summary>Merges the rows of its parents into one row per source row (distilabel's CombineOutputs).</summary>
internal sealed class CombineOutputsNode(string name) : JoinNode(name)
{
    public override string Kind => "combine_outputs";

    public override RowSchema? SchemaAfter(IReadOnlyList<RowSchema?> parents) => Union(parents);

    public override string Settings() => "";

    protected override JsonObject Merge(IReadOnlyList<JsonObject> rows) => Combine(rows);
}

/// <summary>
/// Merges its parents' rows and turns each named column into a list of the parents' values, in
/// parent order: <c>generation</c> from three branches becomes <c>grouped_generation</c> with three items.
/// </summary>
internal sealed class GroupColumnsNode(string name, IReadOnlyList<string> columns, IReadOnlyList<string> outputColumns) : JoinNode(name)
{
    /// <summary>The columns gathered, in order.</summary>
    public IReadOnlyList<string> Columns => columns;

    /// <summary>The list columns they become, in the same order.</summary>
    public IReadOnlyList<string> OutputColumns => outputColumns;

    public override string Kind => "group_columns";

    public override IReadOnlyList<string> RequiredColumns => columns;

    // Each grouped column becomes a list of its parents' values, one item per parent.
    public override RowSchema? SchemaAfter(IReadOnlyList<RowSchema?> parents)
    {
        if (parents.Any(p => p is null)) return null;
        var grouped = new List<Column>();
        for (var i = 0; i < columns.Count; i++)
        {
            var types = parents.Select(p => p!.Find(columns[i])?.Type ?? ColumnType.Unknown).ToList();
            var item = types.Aggregate((a, b) => SchemaWidening.Widen(a, b) ?? throw new PipelineException(
                $"Step '{Name}' ({Kind}) groups column '{columns[i]}', which its parents hold as {a} and as {b}; a list holds one type."));
            grouped.Add(new Column(outputColumns[i], ColumnType.ListOf(item)));
        }
        var others = parents.Select(p => new RowSchema(p!.Where(c => !columns.Contains(c.Name)))).ToList();
        return Union(others)!.With(grouped);
    }

    public override string Settings() => string.Join(",", columns) + ">" + string.Join(",", outputColumns);

    protected override JsonObject Merge(IReadOnlyList<JsonObject> rows)
    {
        var merged = Combine(rows);
        for (var i = 0; i < columns.Count; i++)
        {
            merged.Remove(columns[i]);
            merged[outputColumns[i]] = new JsonArray(rows.Select(r => r[columns[i]]?.DeepClone()).ToArray());
        }
        return merged;
    }
}
