using System.Text;
using System.Text.Json.Nodes;

namespace Distil.Pipelines;

/// <summary>
/// The keys of the rows a shard wrote, in the order written, beside its output:
/// <c>answers.shard-0-of-4.jsonl.distil-shard</c> for a file, <c>distil-shard</c> inside a Hugging
/// Face folder. The first line is a JSON header (the shard, and how many rows each source had and
/// how many this shard took), then one key per line. <see cref="ShardMerge"/> reads it.
/// </summary>
internal sealed class ShardKeys
{
    public const string Format = "distil-shard-keys/1";
    public const string Extension = ".distil-shard";
    public const string FolderFile = "distil-shard";

    private readonly string _path;
    private readonly Shard _shard;
    private readonly string? _pipeline;
    private readonly StreamWriter _keys;
    private long _rows;

    private ShardKeys(string path, Shard shard, string? pipeline)
    {
        _path = path;
        _shard = shard;
        _pipeline = pipeline;
        _keys = new StreamWriter(path + ".keys.tmp", append: false, new UTF8Encoding(false), 1 << 16);
    }

    /// <summary>Where the keys of <paramref name="sink"/>'s rows go, or null for a sink that is neither a file (<see cref="FileRowSink"/>) nor a folder of files (<see cref="IFolderRowSink"/>, such as the Hugging Face layout).</summary>
    public static string? PathOf(IRowSink sink) => sink switch
    {
        FileRowSink file => file.Path + Extension,
        IFolderRowSink folder => System.IO.Path.Combine(folder.Directory, FolderFile),
        _ => null,
    };

    /// <exception cref="PipelineException">The sink is not one whose output the merge can read.</exception>
    public static ShardKeys Start(IRowSink sink, Shard shard, string step, string? pipeline)
    {
        var path = PathOf(sink) ?? throw new PipelineException(
            $"Step '{step}' (write) writes {sink.Describe()}, which a sharded run cannot merge: write shards to files (JSONL, CSV, Parquet or any FileRowSink) or the Hugging Face layout.");
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(path)!);
        return new ShardKeys(path, shard, pipeline);
    }

    public async ValueTask AddAsync(RowKey key)
    {
        await _keys.WriteLineAsync(key.Text).ConfigureAwait(false);
        _rows++;
    }

    public async Task FinishAsync(IReadOnlyDictionary<string, (long Total, long Taken)> sources, CancellationToken cancellationToken)
    {
        await _keys.DisposeAsync().ConfigureAwait(false);
        var header = new JsonObject
        {
            ["format"] = Format,
            ["shard"] = _shard.Index,
            ["of"] = _shard.Count,
            ["rows"] = _rows,
            ["pipeline"] = _pipeline,
            ["sources"] = new JsonObject(sources.OrderBy(s => s.Key, StringComparer.Ordinal)
                .Select(s => KeyValuePair.Create(s.Key, (JsonNode?)new JsonObject { ["total"] = s.Value.Total, ["taken"] = s.Value.Taken }))),
        };
        await SafeFile.ReplaceAsync(_path, async (output, token) =>
        {
            await output.WriteAsync(Encoding.UTF8.GetBytes(header.ToJsonString() + "\n"), token).ConfigureAwait(false);
            await using var keys = new FileStream(_path + ".keys.tmp", FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, useAsync: true);
            await keys.CopyToAsync(output, token).ConfigureAwait(false);
        }, cancellationToken).ConfigureAwait(false);
        File.Delete(_path + ".keys.tmp");
    }

    public void Abandon()
    {
        _keys.Dispose();
        File.Delete(_path + ".keys.tmp");
    }

    /// <summary>A shard's keys file as read back: its header and its keys.</summary>
    public sealed record Read(string Path, int Shard, int Of, long Rows, string? Pipeline, IReadOnlyDictionary<string, (long Total, long Taken)> Sources, IReadOnlyList<RowKey> Keys);

    /// <exception cref="InvalidDataException">The file is missing or not a shard's keys file.</exception>
    public static Read Load(string path)
    {
        if (!File.Exists(path)) throw new InvalidDataException($"'{path}' is missing: the output was not written by a sharded run (distil run --shard I/N), or the shard has not finished.");
        using var reader = new StreamReader(path, Encoding.UTF8);
        var header = JsonNode.Parse(reader.ReadLine() ?? "") as JsonObject;
        if ((string?)header?["format"] != Format) throw new InvalidDataException($"'{path}' is not a Distil shard keys file.");
        var keys = new List<RowKey>();
        while (reader.ReadLine() is { } line) keys.Add(new RowKey(line));
        var sources = header!["sources"]!.AsObject().ToDictionary(s => s.Key, s => ((long)s.Value!["total"]!, (long)s.Value!["taken"]!), StringComparer.Ordinal);
        var rows = (long)header["rows"]!;
        if (keys.Count != rows) throw new InvalidDataException($"'{path}' lists {keys.Count} keys for {rows} rows: it was cut short.");
        return new Read(path, (int)header["shard"]!, (int)header["of"]!, rows, (string?)header["pipeline"], sources, keys);
    }
}
