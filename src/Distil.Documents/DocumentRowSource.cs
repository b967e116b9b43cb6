using System.Globalization;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;

namespace Distil.Pipelines;

/// <summary>
/// The documents of a folder and its subfolders as rows of chunks (<see cref="DocumentColumns"/>): each file a
/// <see cref="DocumentReaders"/> reader knows, in the order of their paths, cut by <see cref="Chunking"/>. Files
/// of other extensions, and files and folders whose names start with a dot, are not documents and are passed over.
/// The order and the chunks depend only on the files and the chunking, so a resumed run reads the same rows in the
/// same places. A file that cannot be read (a damaged PDF) does not stop the others: it gives one row whose
/// <c>error</c> names the file and says what was wrong, with no text.
/// </summary>
public sealed class DocumentRowSource : IRowSource
{
    /// <summary>Reads the documents of <paramref name="folder"/>, chunked by <paramref name="chunking"/> (by headings, 512 tokens, 64 overlapping, unless given).</summary>
    /// <exception cref="ArgumentException">The chunking's settings do not make sense; the message says which.</exception>
    public DocumentRowSource(string folder, DocumentChunking? chunking = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(folder);
        Folder = Path.GetFullPath(folder);
        Chunking = (chunking ?? new DocumentChunking()).Checked();
    }

    /// <summary>The folder's full path.</summary>
    public string Folder { get; }

    /// <summary>How documents are cut into chunks.</summary>
    public DocumentChunking Chunking { get; }

    /// <inheritdoc/>
    /// <remarks>Names every document's path, size and last write time (as a hash), and the chunking: a change of either reads the documents again.</remarks>
    /// <exception cref="DirectoryNotFoundException">The folder does not exist.</exception>
    public string Describe()
    {
        var files = Files();
        var listing = new StringBuilder();
        foreach (var (relative, info) in files)
            listing.Append(CultureInfo.InvariantCulture, $"{relative}\t{info.Length}\t{info.LastWriteTimeUtc.Ticks}\n");
        var hash = Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(listing.ToString())))[..16].ToLowerInvariant();
        return $"documents in {Folder} ({files.Count} files, listing {hash}), chunked {Chunking}";
    }

    /// <inheritdoc/>
    /// <exception cref="DirectoryNotFoundException">The folder does not exist.</exception>
    public async IAsyncEnumerable<JsonObject> ReadAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        foreach (var (relative, info) in Files())
        {
            cancellationToken.ThrowIfCancellationRequested();
            foreach (var row in Rows(relative, info.FullName)) yield return row;
            // Reading is CPU work: let the pipeline's other steps run between documents.
            await Task.Yield();
        }
    }

    /// <inheritdoc/>
    /// <remarks>Always null: counting chunks means reading every document.</remarks>
    /// <exception cref="DirectoryNotFoundException">The folder does not exist.</exception>
    public ValueTask<long?> CountAsync(CancellationToken cancellationToken)
    {
        CheckFolder();
        return ValueTask.FromResult<long?>(null);
    }

    /// <inheritdoc/>
    /// <remarks>The declared <see cref="DocumentColumns.Schema"/>, known before any document is read.</remarks>
    public ValueTask<RowSchema?> SchemaAsync(CancellationToken cancellationToken) => ValueTask.FromResult<RowSchema?>(DocumentColumns.Schema);

    /// <summary>The rows of one file: its chunks, or one row saying why it could not be read.</summary>
    private IEnumerable<JsonObject> Rows(string relative, string path)
    {
        var reader = DocumentReaders.ForPath(path);
        var format = reader?.Name ?? Path.GetExtension(path).TrimStart('.').ToLowerInvariant();
        List<DocumentChunk> chunks;
        try
        {
            if (reader is null) throw new NotSupportedException(DocumentReaders.Missing(path));
            DocumentText document;
            using (var content = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16))
            {
                document = reader.Read(content);
            }
            chunks = [.. DocumentChunker.Chunks(document, Chunking)];
        }
        catch (Exception error) when (error is not OperationCanceledException)
        {
            // Rule: a bad file is one row naming it and what was wrong; the other files still load.
            return [ErrorRow(relative, format, ErrorText.Sentence($"{relative} ({format}) could not be read: {ErrorText.Of(error)}"))];
        }
        return chunks.Select((chunk, index) => ChunkRow(relative, format, index, chunk));
    }

    private static JsonObject ChunkRow(string relative, string format, int index, DocumentChunk chunk) => new()
    {
        [DocumentColumns.Source] = relative,
        [DocumentColumns.Format] = format,
        [DocumentColumns.Page] = chunk.Page,
        [DocumentColumns.HeadingPath] = new JsonArray([.. chunk.HeadingPath.Select(h => (JsonNode?)JsonValue.Create(h))]),
        [DocumentColumns.ChunkIndex] = index,
        [DocumentColumns.Start] = chunk.Start,
        [DocumentColumns.End] = chunk.End,
        [DocumentColumns.Text] = chunk.Text,
        [DocumentColumns.TokenCount] = chunk.TokenCount,
        [DocumentColumns.Error] = null,
    };

    private static JsonObject ErrorRow(string relative, string format, string error) => new()
    {
        [DocumentColumns.Source] = relative,
        [DocumentColumns.Format] = format,
        [DocumentColumns.Page] = null,
        [DocumentColumns.HeadingPath] = new JsonArray(),
        [DocumentColumns.ChunkIndex] = 0,
        [DocumentColumns.Start] = 0,
        [DocumentColumns.End] = 0,
        [DocumentColumns.Text] = "",
        [DocumentColumns.TokenCount] = 0,
        [DocumentColumns.Error] = error,
    };

    /// <summary>The documents of the folder, by their path relative to it (with '/'), in ordinal order of those paths.</summary>
    private List<(string Relative, FileInfo Info)> Files()
    {
        CheckFolder();
        var files = new List<(string Relative, FileInfo Info)>();
        foreach (var path in Directory.EnumerateFiles(Folder, "*", SearchOption.AllDirectories))
        {
            var relative = Path.GetRelativePath(Folder, path).Replace(Path.DirectorySeparatorChar, '/');
            if (relative.Split('/').Any(part => part.StartsWith('.'))) continue;
            if (!DocumentReaders.IsDocument(path)) continue;
            files.Add((relative, new FileInfo(path)));
        }
        // Ordinal, not the culture's order: the same rows in the same places on every machine.
        files.Sort((a, b) => string.CompareOrdinal(a.Relative, b.Relative));
        return files;
    }

    private void CheckFolder()
    {
        if (!Directory.Exists(Folder)) throw new DirectoryNotFoundException($"The documents folder '{Folder}' does not exist.");
    }
}
