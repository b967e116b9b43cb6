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
}

/// <summary>
/// Where a pipeline writes a dataset. <see cref="WriteAsync"/> gets every row of a complete run and
/// should write to a temporary file and move it into place at the end, so that a stopped run
/// never leaves a half-written dataset where a finished one is expected.
/// </summary>
public interface IRowSink
{
    /// <summary>What the sink writes to, for messages.</summary>
    string Describe();

    /// <summary>Writes all of <paramref name="rows"/>; if the enumeration throws, the previous file (if any) stays as it was.</summary>
    Task WriteAsync(IAsyncEnumerable<JsonObject> rows, CancellationToken cancellationToken);
}
