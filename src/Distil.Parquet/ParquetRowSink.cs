using System.Text.Json.Nodes;

namespace Distil.Pipelines;

/// <summary>
/// Writes rows to a Parquet file that pandas, pyarrow, DuckDB and Hugging Face datasets read, each column typed from
/// the schema: in a pipeline, what it knows from its tasks' records and its sources, completed over the rows for
/// columns it does not type; written alone (<c>sink.WriteAsync(rows)</c>), the schema the rows show (see
/// <see cref="FileRowSink"/>). Nested records become structs, lists typed lists, and every column and item is nullable.
/// </summary>
public sealed class ParquetRowSink : FileRowSink
{
    private readonly int _rowGroupSize;

    /// <summary>Writes to <paramref name="path"/> (created with its folder; replaced when the run completes).</summary>
    /// <param name="path">The file to write.</param>
    /// <param name="rowGroupSize">How many rows each row group holds.</param>
    public ParquetRowSink(string path, int rowGroupSize = 10_000) : base(path, "parquet")
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(rowGroupSize, 1);
        _rowGroupSize = rowGroupSize;
    }

    /// <inheritdoc/>
    protected override bool NeedsCompleteSchema => true;

    /// <summary>
    /// Writes every row with the types of the schema (what a pipeline knows from its tasks' records and its sources,
    /// completed over the spooled rows for columns it does not type): nested records as structs, lists as typed
    /// lists, nulls anywhere.
    /// </summary>
    /// <exception cref="InvalidDataException">A value its column's type cannot hold, or no row has any column; the message names the column and the row.</exception>
    protected override async Task WriteFileAsync(Stream file, IAsyncEnumerable<JsonObject> rows, RowSchema? schema, RowSinkContext context, CancellationToken cancellationToken)
    {
        if (schema!.Count == 0) throw new InvalidDataException($"{Path}: no row has any column, and a Parquet file needs at least one.");
        var writer = new ParquetSchemaWriter(schema, Path);
        var buffer = new List<JsonObject>(Math.Min(_rowGroupSize, 100_000));
        long written = 0;
        await foreach (var row in rows.WithCancellation(cancellationToken).ConfigureAwait(false))
        {
            buffer.Add(row);
            if (buffer.Count < _rowGroupSize) continue;
            await writer.WriteRowGroupAsync(file, buffer, written + 1, append: written > 0, cancellationToken).ConfigureAwait(false);
            written += buffer.Count;
            buffer.Clear();
        }
        if (buffer.Count > 0 || written == 0)
        {
            await writer.WriteRowGroupAsync(file, buffer, written + 1, append: written > 0, cancellationToken).ConfigureAwait(false);
        }
    }
}
