using System.Text.Json.Nodes;

namespace Distil.Pipelines;

/// <summary>
/// The base of a sink that writes one file: it does the safe-write protocol once for every format. The rows go to
/// <c>path.tmp</c> beside the target, which replaces the target only when every row is written, so a failed or
/// stopped run keeps the previous file; a format that needs every column's type before its first row
/// (<see cref="NeedsCompleteSchema"/>: a CSV header, a Parquet schema) gets the rows spooled to <c>path.spool</c>
/// first, with the types the pipeline's schema leaves open found over every row.
/// </summary>
/// <example>
/// A tab-separated writer needs only the format itself:
/// <code>
/// public sealed class TsvRowSink(string path) : FileRowSink(path, "tsv")
/// {
///     protected override bool NeedsCompleteSchema => true;
///
///     protected override async Task WriteFileAsync(Stream file, IAsyncEnumerable&lt;JsonObject&gt; rows, RowSchema? schema, RowSinkContext context, CancellationToken cancellationToken)
///     {
///         await using var writer = new StreamWriter(file);
///         await writer.WriteLineAsync(string.Join('\t', schema!.Names));
///         await foreach (var row in rows.WithCancellation(cancellationToken))
///             await writer.WriteLineAsync(string.Join('\t', schema.Names.Select(n => JsonNodeRead.Text(row[n]))));
///     }
/// }
/// </code>
/// </example>
public abstract class FileRowSink : IRowSink
{
    /// <summary>Writes to <paramref name="path"/> (made full; its folder is created when the rows are written).</summary>
    /// <param name="path">The file to write.</param>
    /// <param name="format">The format's name, for <see cref="Describe"/> (<c>jsonl</c>, <c>csv</c>).</param>
    protected FileRowSink(string path, string format)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        ArgumentException.ThrowIfNullOrWhiteSpace(format);
        Path = System.IO.Path.GetFullPath(path);
        Format = format;
    }

    /// <summary>The file's full path.</summary>
    public string Path { get; }

    /// <summary>The format's name, as <see cref="Describe"/> says it.</summary>
    public string Format { get; }

    /// <summary>
    /// Whether the format writes every column's type (or name) before its first row. When true and the context's
    /// schema leaves a type open (columns a <c>Map</c> added, or no schema at all), the rows are spooled to a
    /// temporary file first and <see cref="WriteFileAsync"/> gets the completed schema; when false it gets the
    /// context's schema as it is (maybe null) and the rows as they come.
    /// </summary>
    protected virtual bool NeedsCompleteSchema => false;

    /// <inheritdoc/>
    public virtual string Describe() => $"{Format} file {Path}";

    /// <summary>Writes <paramref name="rows"/> alone, outside a pipeline: the column types are the ones the rows show.</summary>
    public Task WriteAsync(IAsyncEnumerable<JsonObject> rows, CancellationToken cancellationToken) =>
        WriteAsync(rows, new RowSinkContext(), cancellationToken);

    /// <inheritdoc/>
    public async Task WriteAsync(IAsyncEnumerable<JsonObject> rows, RowSinkContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(rows);
        ArgumentNullException.ThrowIfNull(context);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(Path)!);
        var schema = context.Schema;
        await using var spool = NeedsCompleteSchema && !RowSpool.IsComplete(schema)
            ? await RowSpool.CreateAsync(rows, schema, Path + ".spool", cancellationToken).ConfigureAwait(false)
            : null;
        if (spool is not null)
        {
            schema = spool.Schema;
            rows = spool.ReadAsync(cancellationToken);
        }
        await ReplaceFileAsync((file, token) => WriteFileAsync(file, rows, schema, context, token), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Writes the rows to <paramref name="file"/>, the temporary file that replaces <see cref="Path"/> once this
    /// returns. Throw to abandon the write: the temporary file is deleted and the previous one kept. Disposing
    /// <paramref name="file"/> is allowed, not needed.
    /// </summary>
    /// <param name="file">The temporary file, open for writing (and reading).</param>
    /// <param name="rows">Every row, in order.</param>
    /// <param name="schema">The rows' columns: complete (every type known, every column any row has) when <see cref="NeedsCompleteSchema"/>; otherwise the context's, maybe null.</param>
    /// <param name="context">What the pipeline told the sink.</param>
    /// <param name="cancellationToken">Stops the write.</param>
    protected abstract Task WriteFileAsync(Stream file, IAsyncEnumerable<JsonObject> rows, RowSchema? schema, RowSinkContext context, CancellationToken cancellationToken);

    /// <summary>
    /// The safe-write protocol on its own, for a derived sink with another path to the same file: <paramref name="write"/>
    /// fills the temporary file, which then replaces <see cref="Path"/>; if it throws, the previous file stays.
    /// </summary>
    protected Task ReplaceFileAsync(Func<Stream, CancellationToken, Task> write, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(write);
        return SafeFile.ReplaceAsync(Path, (stream, token) => write(stream, token), cancellationToken);
    }
}
