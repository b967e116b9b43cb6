using System.Globalization;
using System.IO.Hashing;
using System.Text;
using System.Text.Json.Nodes;
using Distil.Mapping;

namespace Distil.Pipelines;

/// <summary>How <see cref="StepHandle.Deduplicate"/> finds duplicates.</summary>
public enum DedupMethod
{
    /// <summary>The same text once normalised (case, white space and punctuation ignored).</summary>
    Exact,

    /// <summary>
    /// Near-duplicates: texts whose sets of word shingles have an estimated Jaccard similarity of
    /// about the threshold or more, found with MinHash signatures and locality-sensitive hashing.
    /// </summary>
    MinHash,

    /// <summary>
    /// Semantic duplicates: rows whose embeddings (a column of numbers, as <see cref="StepHandle.Embed(string, string?, EmbedOptions?, string?)"/>
    /// writes) have a cosine similarity of the threshold or more with an earlier kept row's, found
    /// with the nearest-neighbour index of <see cref="DedupOptions.VectorIndex"/> (HNSW from the
    /// <c>Distil.USearch</c> package: <c>HnswVectorIndex.Factory()</c>).
    /// </summary>
    Embedding,
}

/// <summary>Settings of a deduplication step.</summary>
public sealed record DedupOptions
{
    /// <summary>Exact or near-duplicate (default <see cref="DedupMethod.MinHash"/>).</summary>
    public DedupMethod Method { get; init; } = DedupMethod.MinHash;

    /// <summary>
    /// The similarity from which two rows count as duplicates (default 0.7): Jaccard for MinHash,
    /// cosine for embeddings (where 0.9 to 0.97 is usual: paraphrases score high).
    /// </summary>
    public double Threshold { get; init; } = 0.7;

    /// <summary>For MinHash: words per shingle (default 3; texts shorter than that are one shingle).</summary>
    public int ShingleSize { get; init; } = 3;

    /// <summary>For MinHash: hash functions in a signature (default 128).</summary>
    public int Permutations { get; init; } = 128;

    /// <summary>
    /// For MinHash: how the signature is split for locality-sensitive hashing, <c>b</c> bands of
    /// <c>r</c> values: the split whose S-curve midpoint (1/b)^(1/r) is closest to the threshold. Two
    /// texts are duplicates when all values of one band agree.
    /// </summary>
    public (int Bands, int Rows) LshBands => DedupNode.Bands(Permutations, Threshold);

    /// <summary>
    /// For embeddings: makes the index of the kept rows' vectors. Required with
    /// <see cref="DedupMethod.Embedding"/>: <c>HnswVectorIndex.Factory()</c> from the
    /// <c>Distil.USearch</c> package, or an <see cref="IVectorIndexFactory"/> of your own.
    /// </summary>
    public IVectorIndexFactory? VectorIndex { get; init; }

    /// <summary>Checks the values, naming the one that is wrong.</summary>
    public void Validate()
    {
        if (Threshold is <= 0 or > 1) throw new ArgumentOutOfRangeException(nameof(Threshold), Threshold, "Threshold is above 0 and at most 1.");
        if (ShingleSize < 1) throw new ArgumentOutOfRangeException(nameof(ShingleSize), ShingleSize, "ShingleSize must be 1 or more.");
        if (Permutations is < 8 or > 1024) throw new ArgumentOutOfRangeException(nameof(Permutations), Permutations, "Permutations must be from 8 to 1024.");
        if (Method == DedupMethod.Embedding && VectorIndex is null)
        {
            throw new ArgumentException("Deduplication by embeddings needs DedupOptions.VectorIndex: add the Distil.USearch package and set VectorIndex = HnswVectorIndex.Factory(), or give an IVectorIndexFactory of your own.", nameof(VectorIndex));
        }
    }
}

/// <summary>
/// Drops rows whose text in one column repeats an earlier row's, exactly or nearly: the first
/// occurrence is kept. It sees rows in order and decides the same way on every run, so it is
/// not stored; each dropped row is written, with the key of the row it repeats, to
/// <c>duplicates-&lt;step&gt;.jsonl</c> in the run directory. Memory: 8 bytes a kept row for exact,
/// one hash per band (<c>b</c> of them, 16 for the defaults) a kept row for MinHash; no text is kept.
/// For embeddings, what the vector index keeps per kept row (for USearch's HNSW: its vector at
/// half precision and its links, about 2 × dimensions + 200 bytes).
/// </summary>
internal sealed class DedupNode : PipelineStep
{
    private const ulong MersennePrime = (1UL << 61) - 1;
    private readonly string _column;
    private readonly DedupOptions _options;
    private readonly ulong[] _a;
    private readonly ulong[] _b;
    private readonly int _bands;
    private readonly int _rows;

    public DedupNode(string name, string column, DedupOptions options) : base(name)
    {
        _column = column;
        _options = options;
        (_bands, _rows) = Bands(options.Permutations, options.Threshold);
        // The hash functions of the signature: fixed, so that runs agree.
        var random = new Random(20261201);
        _a = Enumerable.Range(0, options.Permutations).Select(_ => (ulong)random.NextInt64(1, (long)MersennePrime)).ToArray();
        _b = Enumerable.Range(0, options.Permutations).Select(_ => (ulong)random.NextInt64(0, (long)MersennePrime)).ToArray();
    }

    public override string Kind => "dedup";

    internal override bool IsStored => false;

    public override IReadOnlyList<string> RequiredColumns => [_column];

    public override RowSchema? SchemaAfter(IReadOnlyList<RowSchema?> parents) => parents[0];

    public override string Settings() => string.Create(CultureInfo.InvariantCulture,
        $"{_column}|{_options.Method}|{_options.Threshold}|{_options.ShingleSize}|{_options.Permutations}|{_options.VectorIndex?.Description}");

    internal override async Task RunAsync(StepRun run)
    {
        var exact = new Dictionary<ulong, RowKey>();
        var bands = Enumerable.Range(0, _bands).Select(_ => new Dictionary<ulong, RowKey>()).ToArray();
        var path = Path.Combine(Path.GetDirectoryName(run.Store.Path)!, $"duplicates-{Name}.jsonl");
        await using var duplicates = new StreamWriter(path, append: false, new UTF8Encoding(false));
        using var semantic = _options.Method == DedupMethod.Embedding ? new SemanticIndex(_options) : null;
        await foreach (var input in run.ReadAsync(cancellationToken: run.Cancellation).ConfigureAwait(false))
        {
            var value = input.Row[_column];
            RowKey? firstOf;
            double? similarity = null;
            if (semantic is not null)
            {
                (firstOf, similarity) = value is null ? (null, null) : semantic.FirstOf(Vector(value, input.Key), input.Key);
            }
            else
            {
                var text = JsonNodeRead.Text(value);
                firstOf = text is null ? null : _options.Method == DedupMethod.Exact ? Exact(exact, text, input.Key) : MinHash(bands, text, input.Key);
            }
            if (firstOf is { } original)
            {
                var line = new JsonObject { ["key"] = input.Key.Text, ["duplicate_of"] = original.Text, ["method"] = _options.Method.ToString().ToLowerInvariant() };
                if (similarity is { } cosine) line["similarity"] = Math.Round(cosine, 4);
                await duplicates.WriteLineAsync(line.ToJsonString()).ConfigureAwait(false);
                continue;
            }
            await run.EmitAsync([input]).ConfigureAwait(false);
        }
    }

    // An embedding cell: a list of numbers. Anything else is named with its row.
    private float[] Vector(JsonNode value, RowKey key)
    {
        if (value is not JsonArray array || array.Count == 0)
        {
            throw new InvalidDataException($"Step '{Name}': row {key.Text} has no embedding in '{_column}' (a non-empty list of numbers) but {JsonNodeRead.Describe(value)}. Embed the column first (.Embed) or pick the embedding column.");
        }
        var vector = new float[array.Count];
        for (var i = 0; i < vector.Length; i++)
        {
            double? number;
            try { number = JsonNodeRead.Double(array[i]); }
            catch (RowValueException) { number = null; }
            vector[i] = number is { } x
                ? (float)x
                : throw new InvalidDataException($"Step '{Name}': row {key.Text}'s embedding in '{_column}' has {JsonNodeRead.Describe(array[i])} at position {i}, not a number.");
        }
        return vector;
    }

    // The kept rows' embeddings in the options' vector index, created at the first vector (its
    // length is the dimensions every later row must have).
    private sealed class SemanticIndex(DedupOptions options) : IDisposable
    {
        private readonly List<RowKey> _kept = [];
        private IVectorIndex? _index;
        private int _dimensions;

        public (RowKey? FirstOf, double? Similarity) FirstOf(float[] vector, RowKey key)
        {
            if (_index is null)
            {
                _dimensions = vector.Length;
                _index = options.VectorIndex!.Create(_dimensions);
            }
            else if (vector.Length != _dimensions)
            {
                throw new InvalidDataException($"Row {key.Text}'s embedding has {vector.Length} numbers, the earlier rows' {_dimensions}: every row must be embedded by the same model.");
            }
            if (_index.Nearest(vector) is { } nearest && nearest.Similarity >= options.Threshold) return (_kept[(int)nearest.Key], nearest.Similarity);
            _index.Add(_kept.Count, vector);
            _kept.Add(key);
            return (null, null);
        }

        public void Dispose() => _index?.Dispose();
    }

    // The key of the earlier row with the same normalised text, or null (and the text is remembered).
    private static RowKey? Exact(Dictionary<ulong, RowKey> seen, string text, RowKey key)
    {
        var hash = XxHash64.HashToUInt64(Encoding.UTF8.GetBytes(string.Join(' ', Words(text))));
        if (seen.TryGetValue(hash, out var first)) return first;
        seen[hash] = key;
        return null;
    }

    // The key of an earlier row that shares a band of the signature, or null (and its bands are remembered).
    private RowKey? MinHash(Dictionary<ulong, RowKey>[] bands, string text, RowKey key)
    {
        var signature = Signature(text);
        var bandHashes = new ulong[_bands];
        for (var band = 0; band < _bands; band++)
        {
            bandHashes[band] = XxHash64.HashToUInt64(System.Runtime.InteropServices.MemoryMarshal.AsBytes(signature.AsSpan(band * _rows, _rows)), band);
            if (bands[band].TryGetValue(bandHashes[band], out var first)) return first;
        }
        for (var band = 0; band < _bands; band++) bands[band][bandHashes[band]] = key;
        return null;
    }

    private ulong[] Signature(string text)
    {
        var words = Words(text);
        var signature = new ulong[_options.Permutations];
        Array.Fill(signature, ulong.MaxValue);
        var size = Math.Min(_options.ShingleSize, Math.Max(1, words.Count));
        for (var start = 0; start + size <= Math.Max(words.Count, size); start++)
        {
            var shingle = XxHash64.HashToUInt64(Encoding.UTF8.GetBytes(string.Join(' ', words.Skip(start).Take(size)))) % MersennePrime;
            for (var i = 0; i < signature.Length; i++)
            {
                var value = (ulong)(((UInt128)_a[i] * shingle + _b[i]) % MersennePrime);
                if (value < signature[i]) signature[i] = value;
            }
        }
        return signature;
    }

    // Lower case, letters and digits only, split on anything else.
    private static List<string> Words(string text)
    {
        var words = new List<string>();
        var word = new StringBuilder();
        foreach (var c in text)
        {
            if (char.IsLetterOrDigit(c)) word.Append(char.ToLowerInvariant(c));
            else if (word.Length > 0) { words.Add(word.ToString()); word.Clear(); }
        }
        if (word.Length > 0) words.Add(word.ToString());
        return words;
    }

    // The bands × rows split of the signature whose S-curve midpoint, (1/b)^(1/r), is closest to the threshold.
    internal static (int Bands, int Rows) Bands(int permutations, double threshold) =>
        Enumerable.Range(1, permutations).Where(r => permutations % r == 0)
            .Select(r => (Bands: permutations / r, Rows: r))
            .MinBy(split => Math.Abs(Math.Pow(1.0 / split.Bands, 1.0 / split.Rows) - threshold));

}
