using System.Text.Json.Nodes;

namespace Distil.Pipelines;

/// <summary>A built-in row step that names the row's key in its errors (the public base is <see cref="RowStep"/>).</summary>
internal abstract class RowwiseNode(string name) : RowStep(name)
{
    /// <summary>The rows made from <paramref name="row"/> (which the step owns and may change).</summary>
    protected abstract IReadOnlyList<JsonObject> Apply(JsonObject row, RowKey key);

    // Never called: the keyed paths below replace the public one.
    protected sealed override IReadOnlyList<JsonObject> Apply(JsonObject row) => throw new System.Diagnostics.UnreachableException();

    private protected sealed override ValueTask<IReadOnlyList<JsonObject>> ApplyKeyedAsync(JsonObject row, RowKey key, CancellationToken cancellationToken) =>
        ValueTask.FromResult(Apply(row, key));

    internal sealed override IReadOnlyList<JsonObject> Transform(JsonObject row, RowKey key) => Apply(row, key);

    protected static RowSchema? Single(IReadOnlyList<RowSchema?> parents) => parents[0];
}

/// <summary>Keeps the named columns, in that order, and drops the others.</summary>
internal sealed class KeepColumnsNode(string name, IReadOnlyList<string> columns) : RowwiseNode(name)
{
    /// <summary>The columns kept.</summary>
    public IReadOnlyList<string> Columns => columns;

    public override string Kind => "keep_columns";

    public override IReadOnlyList<string> RequiredColumns => columns;

    public override RowSchema? SchemaAfter(IReadOnlyList<RowSchema?> parents) =>
        new(columns.Select(c => parents[0]?.Find(c) ?? new Column(c, ColumnType.Unknown)));

    public override string Settings() => string.Join(",", columns);

    protected override IReadOnlyList<JsonObject> Apply(JsonObject row, RowKey key)
    {
        var kept = new JsonObject();
        foreach (var column in columns)
        {
            row.Remove(column, out var value);
            kept[column] = value;
        }
        return [kept];
    }
}

/// <summary>Renames columns; the others stay, in their place.</summary>
internal sealed class RenameColumnsNode(string name, IReadOnlyDictionary<string, string> renames) : RowwiseNode(name)
{
    /// <summary>Old name → new name.</summary>
    public IReadOnlyDictionary<string, string> Renames => renames;

    public override string Kind => "rename_columns";

    public override IReadOnlyList<string> RequiredColumns => renames.Keys.ToList();

    public override RowSchema? SchemaAfter(IReadOnlyList<RowSchema?> parents) =>
        parents[0] is { } before ? new(before.Select(c => renames.TryGetValue(c.Name, out var renamed) ? c with { Name = renamed } : c)) : null;

    public override string Settings() => string.Join(",", renames.OrderBy(r => r.Key, StringComparer.Ordinal).Select(r => $"{r.Key}>{r.Value}"));

    protected override IReadOnlyList<JsonObject> Apply(JsonObject row, RowKey key)
    {
        var renamed = new JsonObject();
        foreach (var (column, _) in row.ToList())
        {
            row.Remove(column, out var value);
            renamed[renames.TryGetValue(column, out var to) ? to : column] = value;
        }
        return [renamed];
    }
}

/// <summary>
/// Makes one row per item of list columns: a row whose <c>generations</c> holds three answers
/// becomes three rows with one <c>generation</c> each. Several columns expand together and must
/// hold lists of the same length.
/// </summary>
internal sealed class ExpandColumnsNode(string name, IReadOnlyDictionary<string, string> columns) : RowwiseNode(name)
{
    /// <summary>List column → item column.</summary>
    public IReadOnlyDictionary<string, string> Columns => columns;

    public override string Kind => "expand_columns";

    public override IReadOnlyList<string> RequiredColumns => columns.Keys.ToList();

    // A list column becomes a column of its items (unknown when the list's type is).
    public override RowSchema? SchemaAfter(IReadOnlyList<RowSchema?> parents) =>
        parents[0] is { } before
            ? new(before.Select(c => columns.TryGetValue(c.Name, out var to)
                ? new Column(to, c.Type.Element ?? ColumnType.Unknown, Nullable: true, c.Description)
                : c))
            : null;

    public override string Settings() => string.Join(",", columns.OrderBy(c => c.Key, StringComparer.Ordinal).Select(c => $"{c.Key}>{c.Value}"));

    protected override IReadOnlyList<JsonObject> Apply(JsonObject row, RowKey key)
    {
        int? length = null;
        foreach (var column in columns.Keys)
        {
            if (row[column] is not JsonArray list)
            {
                throw new PipelineException(
                    $"Step '{Name}' expands column '{column}', but row {key} holds {Describe(row[column])} there, not a list.");
            }
            if (length is { } expected && list.Count != expected)
            {
                throw new PipelineException(
                    $"Step '{Name}' expands columns {string.Join(", ", columns.Keys)} together, but in row {key} they hold lists of different lengths ({expected} and {list.Count}).");
            }
            length = list.Count;
        }

        var rows = new List<JsonObject>(length ?? 0);
        for (var i = 0; i < length; i++)
        {
            var expanded = new JsonObject();
            foreach (var (column, value) in row)
            {
                if (columns.TryGetValue(column, out var to)) expanded[to] = ((JsonArray)value!)[i]?.DeepClone();
                else expanded[column] = value?.DeepClone();
            }
            rows.Add(expanded);
        }
        return rows;
    }

    private static string Describe(JsonNode? value) => value is null ? "null" : "a " + value.GetValueKind().ToString().ToLowerInvariant();
}

/// <summary>Keeps the rows a predicate accepts.</summary>
internal sealed class FilterNode(string name, Func<JsonObject, bool> keep, IReadOnlyList<string> reads) : RowwiseNode(name)
{
    public override string Kind => "filter";

    public override IReadOnlyList<string> RequiredColumns => reads;

    public override RowSchema? SchemaAfter(IReadOnlyList<RowSchema?> parents) => Single(parents);

    public override string Settings() => CodeOf(keep);

    protected override IReadOnlyList<JsonObject> Apply(JsonObject row, RowKey key) => keep(row) ? [row] : [];
}

/// <summary>Changes each row with a function; the function may change the row it gets and return it.</summary>
internal sealed class MapNode(string name, Func<JsonObject, JsonObject> map, IReadOnlyList<string> reads, IReadOnlyList<string> writes)
    : RowwiseNode(name)
{
    /// <summary>The columns the function says it writes.</summary>
    public IReadOnlyList<string> Writes => writes;

    public override string Kind => "map";

    public override IReadOnlyList<string> RequiredColumns => reads;

    // What the function writes is not declared with types: found from the rows when a typed file is written.
    public override RowSchema? SchemaAfter(IReadOnlyList<RowSchema?> parents) =>
        parents[0]?.With(writes.Select(c => new Column(c, ColumnType.Unknown)));

    public override string Settings() => CodeOf(map) + "|" + string.Join(",", writes);

    protected override IReadOnlyList<JsonObject> Apply(JsonObject row, RowKey key) =>
        [map(row) ?? throw new PipelineException($"Step '{Name}' returned null for row {key}; return the row (changed or not).")];
}
