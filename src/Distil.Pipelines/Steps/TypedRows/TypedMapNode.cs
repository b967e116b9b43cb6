using System.Text.Json.Nodes;

namespace Distil.Pipelines;

/// <summary>
/// <c>Map&lt;TIn, TOut&gt;</c>: reads each row as a <typeparamref name="TIn"/>, and writes the
/// <typeparamref name="TOut"/> the function returns onto the row. The row's other columns stay;
/// a column of both records is replaced by <typeparamref name="TOut"/>'s value.
/// </summary>
internal sealed class TypedMapNode<TIn, TOut>(string name, Func<TIn, TOut> map) : RowwiseNode(name)
{
    private readonly RowMapper<TIn> _input = RowMappers.For<TIn>();
    private readonly RowMapper<TOut> _output = RowMappers.For<TOut>();

    public override string Kind => "map";

    public override IReadOnlyList<string> RequiredColumns => _input.Required;

    public override RowSchema? SchemaAfter(IReadOnlyList<RowSchema?> parents) => parents[0]?.With(_output.Schema);

    // The function's code, and both records' columns: a changed record runs the step again on resume.
    public override string Settings() => $"{CodeOf(map)}|{_input.Schema}|{_output.Schema}";

    protected override IReadOnlyList<JsonObject> Apply(JsonObject row, RowKey key)
    {
        var output = map(_input.Read(row, $"Step '{Name}': row {key}"));
        if (output is null) throw new PipelineException($"Step '{Name}' returned null for row {key}; return a {_output.TypeName}.");
        foreach (var (column, value) in _output.ToRow(output).ToList())
        {
            row[column] = value?.DeepClone();
        }
        return [row];
    }
}

/// <summary><c>Filter&lt;T&gt;</c>: reads each row as a <typeparamref name="T"/> and keeps the rows the predicate accepts, unchanged.</summary>
internal sealed class TypedFilterNode<T>(string name, Func<T, bool> keep) : RowwiseNode(name)
{
    private readonly RowMapper<T> _rows = RowMappers.For<T>();

    public override string Kind => "filter";

    public override IReadOnlyList<string> RequiredColumns => _rows.Required;

    public override RowSchema? SchemaAfter(IReadOnlyList<RowSchema?> parents) => Single(parents);

    public override string Settings() => $"{CodeOf(keep)}|{_rows.Schema}";

    protected override IReadOnlyList<JsonObject> Apply(JsonObject row, RowKey key) =>
        keep(_rows.Read(row, $"Step '{Name}': row {key}")) ? [row] : [];
}
