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
    // Rule: a source of text (CSV) reads each cell as its property's type when loaded as a record.
    // Asked here, so that a record it cannot read (a [CsvList] off a list) fails at Load.
    private readonly IRowSource _rows = inner is IRecordRowSource text ? text.ForRecord(columns) : inner;

    public string Describe() => $"{inner.Describe()} as {columns.TypeName}";

    public ValueTask<long?> CountAsync(CancellationToken cancellationToken) => inner.CountAsync(cancellationToken);

    public ValueTask<RowSchema?> SchemaAsync(CancellationToken cancellationToken) => ValueTask.FromResult<RowSchema?>(columns.Schema);

    public async IAsyncEnumerable<JsonObject> ReadAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        long index = 0;
        await foreach (var row in _rows.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            foreach (var required in columns.Required)
            {
                if (!row.ContainsKey(required))
                {
                    var has = row.Count == 0 ? "no columns" : string.Join(", ", row.Select(p => p.Key));
                    // Rows count from 1. (A CSV source names its header itself, before this.)
                    throw new PipelineException(
                        $"Row {index + 1} of {inner.Describe()} (counted from 1) has no column '{required}', which {columns.TypeName} declares (the row has {has}). Make the property nullable or give it a default if rows may lack it.");
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
