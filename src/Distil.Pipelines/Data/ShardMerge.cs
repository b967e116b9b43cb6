using System.Runtime.CompilerServices;
using System.Text.Json.Nodes;

namespace Distil.Pipelines;

/// <summary>
/// Puts the outputs of a sharded run (<see cref="PipelineRunOptions.Shard"/>, <c>distil run --shard
/// I/N</c>) back together: every shard's rows, in the order of the source rows they came from,
/// into any sink (JSONL, CSV, Parquet, the Hugging Face layout). It checks, from the keys each
/// shard wrote beside its output, that every shard is there once, that together they took every
/// source row, and that no row is in two shards; it reads one row per shard at a time.
/// </summary>
public static class ShardMerge
{
    /// <summary>Merges <paramref name="shardOutputs"/> (files, or Hugging Face folders) into <paramref name="output"/>; returns the rows written.</summary>
    /// <exception cref="InvalidDataException">A shard is missing, given twice, unfinished, from another pipeline, split or source, or took fewer or more rows than belong to it; a row is in two shards; a file's rows and keys disagree.</exception>
    public static async Task<long> MergeAsync(IReadOnlyList<string> shardOutputs, IRowSink output, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(shardOutputs);
        ArgumentNullException.ThrowIfNull(output);
        if (shardOutputs.Count == 0) throw new InvalidDataException("Give the outputs of every shard to merge.");
        var shards = shardOutputs.Select(path => (Path: System.IO.Path.GetFullPath(path), Keys: ShardKeys.Load(KeysPath(path)))).ToList();
        Check(shards.Select(s => s.Keys).ToList());
        var sources = shards.Select(s => Source(s.Path)).ToList();
        var schema = await sources[0].SchemaAsync(cancellationToken).ConfigureAwait(false);
        long written = 0;
        await output.WriteAsync(Count(Merged(shards.Select(s => s.Keys).ToList(), sources, cancellationToken)), new RowSinkContext { Schema = schema }, cancellationToken).ConfigureAwait(false);
        return written;

        async IAsyncEnumerable<JsonObject> Count(IAsyncEnumerable<JsonObject> rows)
        {
            await foreach (var row in rows.ConfigureAwait(false))
            {
                written++;
                yield return row;
            }
        }
    }

    private static string KeysPath(string output)
    {
        var full = System.IO.Path.GetFullPath(output);
        return Directory.Exists(full) ? System.IO.Path.Combine(full, ShardKeys.FolderFile) : full + ShardKeys.Extension;
    }

    // A shard output as rows: a file by its extension, or a folder's data files (the Hugging Face layout's
    // Parquet shards) in order, each read by the format its extension names.
    private static IRowSource Source(string path)
    {
        if (!Directory.Exists(path)) return RowSources.File(path);
        var files = Directory.GetFiles(System.IO.Path.Combine(path, "data"), "*.parquet").Order(StringComparer.Ordinal).ToList();
        return new ConcatenatedSource(path, files.Select(RowSources.File).ToList());
    }

    private static void Check(IReadOnlyList<ShardKeys.Read> shards)
    {
        var count = shards[0].Of;
        if (shards.FirstOrDefault(s => s.Of != count) is { } other)
            throw new InvalidDataException($"'{other.Path}' is shard {other.Shard} of {other.Of}, but '{shards[0].Path}' is of {count}: the outputs come from different splits.");
        foreach (var twice in shards.GroupBy(s => s.Shard).Where(g => g.Count() > 1))
            throw new InvalidDataException($"Shard {twice.Key} of {count} is given twice: {string.Join(" and ", twice.Select(s => $"'{s.Path}'"))}.");
        var missing = Enumerable.Range(0, count).Except(shards.Select(s => s.Shard)).ToList();
        if (missing.Count > 0)
            throw new InvalidDataException($"Shard{(missing.Count > 1 ? "s" : "")} {string.Join(", ", missing)} of {count} {(missing.Count > 1 ? "are" : "is")} missing: give the output of every shard.");
        // Rule: the shards of one merge come from one pipeline, over the same sources, and each took
        // every source row that hashes to it; together they then took every source row once.
        if (shards.FirstOrDefault(s => s.Pipeline != shards[0].Pipeline) is { } stranger)
            throw new InvalidDataException($"'{stranger.Path}' comes from pipeline '{stranger.Pipeline}', but '{shards[0].Path}' from pipeline '{shards[0].Pipeline}': merge the shards of one pipeline.");
        var names = shards.SelectMany(s => s.Sources.Keys).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        if (names.Count == 0)
            throw new InvalidDataException($"'{shards[0].Path}' records no source rows read: the shard did not read its source to the end.");
        foreach (var name in names)
        {
            if (shards.FirstOrDefault(s => !s.Sources.ContainsKey(name)) is { } without)
                throw new InvalidDataException($"'{without.Path}' did not read source '{name}', which {string.Join(" and ", shards.Where(s => s.Sources.ContainsKey(name)).Select(s => $"'{s.Path}'"))} read: the shards ran different pipelines.");
            var first = shards.First(s => s.Sources.ContainsKey(name));
            var total = first.Sources[name].Total;
            if (shards.FirstOrDefault(s => s.Sources[name].Total != total) is { } odd)
                throw new InvalidDataException($"'{odd.Path}' read source '{name}' with {odd.Sources[name].Total} rows, but '{first.Path}' with {total}: the shards ran on different data.");
            var belonging = new long[count];
            for (long index = 0; index < total; index++) belonging[Shard.Of(index, count)]++;
            foreach (var shard in shards)
            {
                var taken = shard.Sources[name].Taken;
                if (taken != belonging[shard.Shard])
                    throw new InvalidDataException(
                        $"'{shard.Path}' (shard {shard.Shard} of {count}) took {taken} rows of source '{name}', but {belonging[shard.Shard]} of its {total} rows belong to that shard: " +
                        "the shard ran with a row limit, on other data or with another split. Run it again to the end.");
            }
        }
    }

    // The rows of every shard, smallest key first: one row per shard in memory at a time.
    private static async IAsyncEnumerable<JsonObject> Merged(IReadOnlyList<ShardKeys.Read> keys, IReadOnlyList<IRowSource> sources, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var readers = sources.Select(s => s.ReadAsync(cancellationToken).GetAsyncEnumerator(cancellationToken)).ToList();
        var positions = new int[readers.Count];
        var queue = new PriorityQueue<int, RowKey>();
        try
        {
            for (var i = 0; i < readers.Count; i++) await AdvanceAsync(i).ConfigureAwait(false);
            (RowKey Key, int Shard)? previous = null;
            while (queue.TryDequeue(out var shard, out var key))
            {
                if (previous is { } last && last.Key.CompareTo(key) == 0)
                    throw new InvalidDataException($"The row with key {key} is in two shards: '{keys[last.Shard].Path}' and '{keys[shard].Path}'.");
                previous = (key, shard);
                yield return readers[shard].Current;
                await AdvanceAsync(shard).ConfigureAwait(false);
            }
        }
        finally
        {
            foreach (var reader in readers) await reader.DisposeAsync().ConfigureAwait(false);
        }

        async Task AdvanceAsync(int shard)
        {
            var more = await readers[shard].MoveNextAsync().ConfigureAwait(false);
            var position = positions[shard]++;
            var list = keys[shard].Keys;
            if (more && position < list.Count) queue.Enqueue(shard, list[position]);
            else if (more || position < list.Count)
                throw new InvalidDataException($"'{sources[shard].Describe()}' has {(more ? "more" : "fewer")} rows than the {list.Count} keys written beside it: the output was changed after the run.");
        }
    }

    private sealed class ConcatenatedSource(string folder, IReadOnlyList<IRowSource> parts) : IRowSource
    {
        public string Describe() => $"Hugging Face folder {folder}";

        public async IAsyncEnumerable<JsonObject> ReadAsync([EnumeratorCancellation] CancellationToken cancellationToken)
        {
            foreach (var part in parts)
            {
                await foreach (var row in part.ReadAsync(cancellationToken).ConfigureAwait(false)) yield return row;
            }
        }

        public ValueTask<long?> CountAsync(CancellationToken cancellationToken) => ValueTask.FromResult<long?>(null);

        public ValueTask<RowSchema?> SchemaAsync(CancellationToken cancellationToken) =>
            parts.Count == 0 ? ValueTask.FromResult<RowSchema?>(null) : parts[0].SchemaAsync(cancellationToken);
    }
}
