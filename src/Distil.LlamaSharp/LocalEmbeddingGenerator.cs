using LLama;
using LLama.Common;
using LLama.Native;
using Microsoft.Extensions.AI;

namespace Distil.LlamaSharp;

/// <summary>
/// A local GGUF model as a Microsoft.Extensions.AI <see cref="IEmbeddingGenerator{TInput, TEmbedding}"/>:
/// one vector per text (mean-pooled over its tokens), computed in-process by llama.cpp. The weights
/// are shared with every <see cref="LocalChatClient"/> of the same file. Texts are embedded one at
/// a time in one context (thread-safe; calls wait for each other).
/// </summary>
/// <example>
/// <code>
/// using var embedder = LocalEmbeddingGenerator.Load("models/nomic-embed-text-v1.5.Q4_K_M.gguf");
/// var vectors = await embedder.GenerateAsync(["a cat", "a dog"]);
/// </code>
/// </example>
public sealed class LocalEmbeddingGenerator : IEmbeddingGenerator<string, Embedding<float>>
{
    private readonly SharedWeights.Lease _lease;
    private readonly LLamaEmbedder _embedder;
    private readonly SemaphoreSlim _one = new(1, 1);
    private readonly EmbeddingGeneratorMetadata _metadata;

    private LocalEmbeddingGenerator(SharedWeights.Lease lease, ModelParams parameters, string modelName)
    {
        _lease = lease;
        _embedder = new LLamaEmbedder(lease.Weights, parameters);
        ModelName = modelName;
        _metadata = new EmbeddingGeneratorMetadata("llama.cpp", new Uri(parameters.ModelPath), modelName, _embedder.EmbeddingSize);
    }

    /// <summary>The model's name: its GGUF <c>general.name</c>, else its file name.</summary>
    public string ModelName { get; }

    /// <summary>How many numbers each vector has.</summary>
    public int Dimensions => _embedder.EmbeddingSize;

    /// <summary>Loads the GGUF model at <paramref name="path"/> (or shares its weights) for embeddings.</summary>
    /// <param name="path">The .gguf file.</param>
    /// <param name="contextSize">The longest text, in tokens (default 2048).</param>
    /// <param name="gpuLayerCount">Layers offloaded to a GPU (default 0: CPU only).</param>
    /// <exception cref="FileNotFoundException">There is no file at <paramref name="path"/>.</exception>
    public static LocalEmbeddingGenerator Load(string path, uint contextSize = 2048, int gpuLayerCount = 0)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        if (!File.Exists(path)) throw new FileNotFoundException($"No GGUF model at '{Path.GetFullPath(path)}'. Give the path of a .gguf file.", path);
        var parameters = new ModelParams(Path.GetFullPath(path))
        {
            ContextSize = contextSize,
            BatchSize = contextSize,
            UBatchSize = contextSize,
            GpuLayerCount = gpuLayerCount,
            Embeddings = true,
            PoolingType = LLamaPoolingType.Mean,
        };
        var lease = SharedWeights.Acquire(new ModelParams(parameters.ModelPath) { GpuLayerCount = gpuLayerCount });
        var name = lease.Weights.Metadata.TryGetValue("general.name", out var declared) && !string.IsNullOrWhiteSpace(declared)
            ? declared
            : Path.GetFileNameWithoutExtension(path);
        return new LocalEmbeddingGenerator(lease, parameters, name);
    }

    /// <inheritdoc/>
    public async Task<GeneratedEmbeddings<Embedding<float>>> GenerateAsync(IEnumerable<string> values, EmbeddingGenerationOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(values);
        var result = new GeneratedEmbeddings<Embedding<float>>();
        long tokens = 0;
        await _one.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            foreach (var value in values)
            {
                ArgumentNullException.ThrowIfNull(value, nameof(values));
                var vectors = await _embedder.GetEmbeddings(value, cancellationToken).ConfigureAwait(false);
                // Mean pooling gives one vector for the whole text.
                result.Add(new Embedding<float>(vectors[0]) { ModelId = ModelName, CreatedAt = DateTimeOffset.UtcNow });
                tokens += _lease.Weights.Tokenize(value, true, false, System.Text.Encoding.UTF8).Length;
            }
        }
        finally
        {
            _one.Release();
        }
        result.Usage = new UsageDetails { InputTokenCount = tokens, TotalTokenCount = tokens };
        return result;
    }

    /// <inheritdoc/>
    public object? GetService(Type serviceType, object? serviceKey = null) =>
        serviceKey is not null ? null
        : serviceType == typeof(EmbeddingGeneratorMetadata) ? _metadata
        : serviceType.IsInstanceOfType(this) ? this
        : null;

    /// <summary>Lets go of the context and the model's weights (freed when no client of the file is left).</summary>
    public void Dispose()
    {
        _embedder.Dispose();
        _lease.Dispose();
        _one.Dispose();
    }
}
