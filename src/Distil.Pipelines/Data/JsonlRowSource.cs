using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Distil.Pipelines;

/// <summary>Rows from a JSON Lines file: one JSON object per line; blank lines are skipped.</summary>
public sealed class JsonlRowSource : IRowSource
{
    /// <summary>Reads rows from <paramref name="path"/>.</summary>
    public JsonlRowSource(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        Path = System.IO.Path.GetFullPath(path);
    }

    /// <summary>The file's full path.</summary>
    public string Path { get; }

    /// <inheritdoc/>
    public string Describe() => FileDescription.Of("jsonl", Path);

    /// <inheritdoc/>
    /// <exception cref="InvalidDataException">A line is not a JSON object; the message names the file and line.</exception>
    public async IAsyncEnumerable<JsonObject> ReadAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        using var reader = new StreamReader(FileDescription.OpenRead(Path));
        var number = 0;
        while (await reader.ReadLineAsync(cancellationToken).ConfigureAwait(false) is { } line)
        {
            number++;
            if (string.IsNullOrWhiteSpace(line)) continue;
            JsonNode? node;
            try
            {
                node = JsonNode.Parse(line);
            }
            catch (JsonException error)
            {
                throw new InvalidDataException($"{Path}: not valid JSON at {ErrorText.OfJson(error, line, firstLine: number)}.", error);
            }
            yield return node as JsonObject
                ?? throw new InvalidDataException($"{Path} line {number}: a row must be a JSON object, not {node?.GetValueKind().ToString().ToLowerInvariant() ?? "null"}.");
        }
    }

    /// <inheritdoc/>
    public async ValueTask<long?> CountAsync(CancellationToken cancellationToken)
    {
        // One pass over the bytes: cheap next to any LLM work, and it gives the progress display an end.
        using var stream = FileDescription.OpenRead(Path);
        var buffer = new byte[1 << 16];
        long lines = 0;
        var lastWasNewline = true;
        int read;
        while ((read = await stream.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
        {
            var span = buffer.AsSpan(0, read);
            lines += span.Count((byte)'\n');
            lastWasNewline = span[^1] == (byte)'\n';
        }
        return lastWasNewline ? lines : lines + 1;
    }
}

/// <summary>Rows held in memory.</summary>
public sealed class MemoryRowSource : IRowSource
{
    private readonly IReadOnlyList<JsonObject> _rows;

    /// <summary>Uses <paramref name="rows"/>; each is copied when read, so the pipeline never changes them.</summary>
    public MemoryRowSource(IEnumerable<JsonObject> rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        _rows = rows.ToList();
    }

    /// <inheritdoc/>
    public string Describe()
    {
        // The rows themselves are the identity of an in-memory source: other rows, another run.
        using var hash = System.Security.Cryptography.IncrementalHash.CreateHash(System.Security.Cryptography.HashAlgorithmName.SHA256);
        foreach (var row in _rows) hash.AppendData(JsonSerializer.SerializeToUtf8Bytes(row, DistilJson.Default.JsonObject));
        return $"{_rows.Count} rows in memory ({Convert.ToHexString(hash.GetHashAndReset())[..16]})";
    }

    /// <inheritdoc/>
    public async IAsyncEnumerable<JsonObject> ReadAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        foreach (var row in _rows)
        {
            cancellationToken.ThrowIfCancellationRequested();
            yield return (JsonObject)row.DeepClone();
        }
        await Task.CompletedTask.ConfigureAwait(false);
    }

    /// <inheritdoc/>
    public ValueTask<long?> CountAsync(CancellationToken cancellationToken) => ValueTask.FromResult<long?>(_rows.Count);
}

/// <summary>Writes rows to a JSON Lines file, one compact JSON object per line.</summary>
public sealed class JsonlRowSink : FileRowSink
{
    /// <summary>Writes to <paramref name="path"/> (created with its folder; replaced when the run completes).</summary>
    public JsonlRowSink(string path) : base(path, "jsonl")
    {
    }

    /// <inheritdoc/>
    protected override async Task WriteFileAsync(Stream file, IAsyncEnumerable<JsonObject> rows, RowSchema? schema, RowSinkContext context, CancellationToken cancellationToken)
    {
        await using var writer = new Utf8JsonWriter(file, new JsonWriterOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
        await foreach (var row in rows.WithCancellation(cancellationToken).ConfigureAwait(false))
        {
            row.WriteTo(writer);
            await writer.FlushAsync(cancellationToken).ConfigureAwait(false);
            writer.Reset();
            file.WriteByte((byte)'\n');
        }
    }
}

/// <summary>How file sources describe themselves (the description a run directory keeps to notice a changed input) and open their files.</summary>
public static class FileDescription
{
    /// <summary>"<paramref name="kind"/> file PATH (N bytes, modified TIME)": changes when the file does.</summary>
    /// <exception cref="FileNotFoundException">There is no file at <paramref name="path"/>.</exception>
    public static string Of(string kind, string path)
    {
        var file = new FileInfo(path);
        if (!file.Exists) throw new FileNotFoundException($"The {kind} file '{path}' does not exist.", path);
        return $"{kind} file {path} ({file.Length} bytes, modified {file.LastWriteTimeUtc:O})";
    }

    /// <summary>Opens <paramref name="path"/> to read, asynchronously.</summary>
    /// <exception cref="FileNotFoundException">There is no file at <paramref name="path"/>.</exception>
    public static FileStream OpenRead(string path) =>
        File.Exists(path)
            ? new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, useAsync: true)
            : throw new FileNotFoundException($"The file '{path}' does not exist.", path);
}
