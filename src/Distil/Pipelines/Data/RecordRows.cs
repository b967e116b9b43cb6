using System.Runtime.CompilerServices;
using System.Text.Json.Nodes;

namespace Distil.Pipelines;

/// <summary>
/// A source whose rows are declared by a record type (<c>Pipeline.Load&lt;TRow&gt;</c>): its schema is
/// the record's columns, known before a row is read; every row is checked to carry the columns the
/// record requires, and carries only the declared columns on.
/// </summary>
internal sealed class TypedRowSource(IRowSource inner, RowMapper columns) : IRowSource
{
    // Rule: a CSV file holds text; loaded as a record, each cell is read as its property's type.
    // Made here, so that a record CSV cannot be read as (a [CsvList] off a list) fails at Load.
    private readonly IReadOnlyList<CsvCells.ColumnReader>? _cells = inner is CsvRowSource ? CsvCells.Of(columns) : null;

    public string Describe() => $"{inner.Describe()} as {columns.TypeName}";

    public ValueTask<long?> CountAsync(CancellationToken cancellationToken) => inner.CountAsync(cancellationToken);

    public ValueTask<RowSchema?> SchemaAsync(CancellationToken cancellationToken) => ValueTask.FromResult<RowSchema?>(columns.Schema);

    public async IAsyncEnumerable<JsonObject> ReadAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        long index = 0;
        var rows = inner is CsvRowSource csv ? csv.ReadAsync(_cells, cancellationToken) : inner.ReadAsync(cancellationToken);
        await foreach (var row in rows.ConfigureAwait(false))
        {
            foreach (var required in columns.Required)
            {
                if (!row.ContainsKey(required))
                {
                    var has = row.Count == 0 ? "no columns" : string.Join(", ", row.Select(p => p.Key));
                    // A CSV file's columns are its header's: name the header, not a row. Rows count from 1.
                    throw new PipelineException(inner is CsvRowSource csvFile
                        ? $"{csvFile.Path}: the header has no column '{required}', which {columns.TypeName} declares (the header has {has}). Add the column, or make the property nullable or give it a default."
                        : $"Row {index + 1} of {inner.Describe()} (counted from 1) has no column '{required}', which {columns.TypeName} declares (the row has {has}). Make the property nullable or give it a default if rows may lack it.");
                }
            }
            index++;
            // The rows carry the declared columns, no others: what the schema says is what flows.
            var typed = new JsonObject();
            foreach (var member in columns.Members)
            {
                if (row.TryGetPropertyValue(member.Column.Name, out var value)) typed[member.Column.Name] = value?.DeepClone();
            }
            yield return typed;
        }
    }
}
