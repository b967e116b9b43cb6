using System.Text.Json.Nodes;

namespace Distil.Pipelines;

/// <summary>
/// Where a pipeline's rows come from: a file or rows in memory. Implement it to load rows from
/// anywhere else; <see cref="RowSources"/> has the built-in ones.
/// </summary>
public interface IRowSource
{
    /// <summary>
    /// What the source is, for messages and for the run's signature: a file source names its full
    /// path, size and last write time, so that changing the file recomputes the run.
    /// </summary>
    string Describe();

    /// <summary>The rows, in order. A row that cannot be read throws an error naming where it is.</summary>
    IAsyncEnumerable<JsonObject> ReadAsync(CancellationToken cancellationToken);

    /// <summary>How many rows there are, if cheap to know (for progress); null otherwise.</summary>
    ValueTask<long?> CountAsync(CancellationToken cancellationToken);

    /// <summary>
    /// The columns of the rows, with their types, for validation and typed files: by default from a
    /// scan of every row (types widened across all of them, so a column null for the first
    /// thousands of rows still gets its type); null when there are no rows. A source whose format
    /// carries a schema may return it instead.
    /// </summary>
    ValueTask<RowSchema?> SchemaAsync(CancellationToken cancellationToken) =>
        SchemaWidening.InferAsync(ReadAsync(cancellationToken), cancellationToken);
}

/// <summary>
/// Where a pipeline writes a dataset. <see cref="WriteAsync(IAsyncEnumerable{JsonObject}, CancellationToken)"/> gets every row of a complete run and
/// should write to a temporary file and move it into place at the end, so that a stopped run
/// never leaves a half-written dataset where a finished one is expected.
/// </summary>
public interface IRowSink
{
    /// <summary>What the sink writes to, for messages.</summary>
    string Describe();

    /// <summary>Writes all of <paramref name="rows"/>; if the enumeration throws, the previous file (if any) stays as it was.</summary>
    Task WriteAsync(IAsyncEnumerable<JsonObject> rows, CancellationToken cancellationToken);

    /// <summary>
    /// Writes every row, given the columns and types the pipeline knows they have (null when it
    /// does not). Typed formats (Parquet) write that schema instead of guessing from the rows; the
    /// default ignores it.
    /// </summary>
    Task WriteAsync(IAsyncEnumerable<JsonObject> rows, RowSchema? schema, CancellationToken cancellationToken) =>
        WriteAsync(rows, cancellationToken);
}
