using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using Distil;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Caching.Distributed;
using Microsoft.Extensions.Logging;

namespace Distil.Pipelines;

/// <summary>
/// The vectors an embedding step's generator computed in a run directory, kept beside its chat answers
/// (<c>answers.db</c>, <see cref="RunAnswers"/>) under a hash of the model and the text. Unlike chat answers
/// they are not kept per row: a model gives one text one vector, so two rows with the same text share it.
/// A vector that cannot be read or kept is warned about and computed again: the cache never fails a run.
/// </summary>
internal sealed class EmbeddingAnswers : IDisposable
{
    private static readonly DistributedCacheEntryOptions NoExpiry = new();

    private readonly ResponseCache? _answers;
    private readonly string _model;
    private readonly ILogger _logger;
    private bool _empty;

    public EmbeddingAnswers(string runDirectory, IEmbeddingGenerator<string, Embedding<float>> generator, ILogger logger)
    {
        _logger = logger;
        _model = ModelOf(generator);
        try
        {
            _answers = RunAnswers.Open(runDirectory);
            _empty = !_answers.HasEntries;
        }
        catch (ResponseCacheException error)
        {
            _logger.LogWarning("The run directory's answers could not be opened; embeddings are computed without them. {Error}", error.Message);
        }
    }

    /// <summary>What names the model in a key: the generator's provider, model and dimensions, or its type when it says none.</summary>
    internal static string ModelOf(IEmbeddingGenerator<string, Embedding<float>> generator) =>
        generator.GetService<EmbeddingGeneratorMetadata>() is { } m && (m.ProviderName is not null || m.DefaultModelId is not null)
            ? $"{m.ProviderName}|{m.DefaultModelId}|{m.DefaultModelDimensions}"
            : generator.GetType().FullName ?? generator.GetType().Name;

    /// <summary>The kept vectors of those of <paramref name="texts"/> this model embedded before.</summary>
    public async Task<Dictionary<string, float[]>> FindAsync(IReadOnlyList<string> texts, CancellationToken cancellationToken)
    {
        var found = new Dictionary<string, float[]>(StringComparer.Ordinal);
        if (_answers is null || _empty) return found;
        foreach (var text in texts)
        {
            try
            {
                if (await _answers.GetAsync(Key(text), cancellationToken).ConfigureAwait(false) is { Length: > 0 } bytes && bytes.Length % sizeof(float) == 0)
                {
                    found[text] = MemoryMarshal.Cast<byte, float>(bytes).ToArray();
                }
            }
            catch (ResponseCacheException error)
            {
                _logger.LogWarning("An embedding kept in the run directory could not be read; it is computed again. {Error}", error.Message);
            }
        }
        return found;
    }

    /// <summary>Keeps the vectors of <paramref name="texts"/> from <paramref name="vectors"/>.</summary>
    public async Task KeepAsync(IReadOnlyList<string> texts, IReadOnlyDictionary<string, float[]> vectors, CancellationToken cancellationToken)
    {
        if (_answers is null) return;
        foreach (var text in texts)
        {
            try
            {
                await _answers.SetAsync(Key(text), MemoryMarshal.AsBytes(vectors[text].AsSpan()).ToArray(), NoExpiry, cancellationToken).ConfigureAwait(false);
                _empty = false;
            }
            catch (ResponseCacheException error)
            {
                _logger.LogWarning("An embedding could not be kept in the run directory; the run goes on without it. {Error}", error.Message);
                return;
            }
        }
    }

    // Prefixed so that no chat answer's key (a hash of its request) can be one of these.
    private string Key(string text) =>
        "embedding:" + Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(_model + "\n" + text)));

    public void Dispose() => _answers?.Dispose();
}
