namespace Distil.LlamaSharp;

/// <summary>Registers local GGUF models in a <see cref="ChatClientFactory"/> as <c>local:PATH</c>.</summary>
public static class LocalModelsRegistration
{
    /// <summary>
    /// Registers <c>local:/path/model.gguf</c>. The weights of a file are loaded once per process,
    /// however many clients use them. The factory's resilience settings do not apply: there is no
    /// service to retry, and requests queued for a slot must not time out.
    /// </summary>
    /// <param name="factory">The factory to register with.</param>
    /// <param name="contextSize">Tokens of prompt and answer together that one request may use.</param>
    /// <param name="maxParallelRequests">How many requests one client decodes together.</param>
    /// <remarks>
    /// A spec may override these per model: <c>local:models/m.gguf?context=4096&amp;parallel=8&amp;gpu_layers=32</c>
    /// (<c>context</c> tokens per request, <c>parallel</c> sequences decoded together, <c>gpu_layers</c>
    /// offloaded to a GPU when a GPU backend package is installed, <c>reproducible=0</c> for the faster
    /// decoding whose sampled answers may depend on their neighbours; see <see cref="LocalModelOptions.Reproducible"/>).
    /// </remarks>
    public static ChatClientFactory AddLocalModels(this ChatClientFactory factory, uint contextSize = 2048, int maxParallelRequests = 1)
    {
        ArgumentNullException.ThrowIfNull(factory);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxParallelRequests, 1);
        var defaults = new LocalModelOptions { ContextSize = contextSize, MaxParallelRequests = maxParallelRequests };
        return factory.Register("local", (spec, _) =>
        {
            var (path, options) = Parse(spec, defaults);
            try
            {
                return LocalChatClient.Load(path, options);
            }
            catch (FileNotFoundException error)
            {
                throw new ModelSpecException(spec.Text, $"'{spec.Text}': {error.Message}", error);
            }
        }, useResilience: false); // in-process: nothing transient to retry, and a long wait for a slot is no fault
    }

    /// <summary>
    /// The embedding generator for a <c>local:PATH</c> spec (<c>?context=M&amp;gpu_layers=N</c> apply):
    /// the same loaded weights as the chat client of that file.
    /// </summary>
    /// <exception cref="ModelSpecException">The spec is not <c>local:</c>, an option is wrong, or there is no file.</exception>
    public static LocalEmbeddingGenerator CreateEmbeddingGenerator(string spec)
    {
        var parsed = ModelSpec.Parse(spec);
        if (parsed.Provider != "local") throw new ModelSpecException(spec, $"'{spec}' is not a local model: embeddings run in-process from local:PATH.");
        var (path, options) = Parse(parsed);
        try
        {
            return LocalEmbeddingGenerator.Load(path, options.ContextSize, options.GpuLayerCount);
        }
        catch (FileNotFoundException error)
        {
            throw new ModelSpecException(spec, $"'{spec}': {error.Message}", error);
        }
    }

    /// <summary>The file and options of <c>local:PATH?context=M&amp;parallel=K&amp;gpu_layers=N&amp;reproducible=0</c>.</summary>
    /// <exception cref="ModelSpecException">An option is unknown or not a whole number in range.</exception>
    public static (string Path, LocalModelOptions Options) Parse(ModelSpec spec, LocalModelOptions? defaults = null)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var options = defaults ?? new LocalModelOptions();
        var question = spec.Model.IndexOf('?', StringComparison.Ordinal);
        if (question < 0) return (spec.Model, options);
        foreach (var pair in spec.Model[(question + 1)..].Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var equals = pair.IndexOf('=', StringComparison.Ordinal);
            var name = equals < 0 ? pair : pair[..equals];
            if (equals < 0 || !int.TryParse(pair[(equals + 1)..], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var value))
            {
                throw new ModelSpecException(spec.Text, $"'{pair}' in '{spec.Text}' is not name=number: write local:PATH?context=4096&parallel=8&gpu_layers=32.");
            }
            options = name switch
            {
                "context" when value >= 16 => options with { ContextSize = (uint)value },
                "parallel" when value >= 1 => options with { MaxParallelRequests = value },
                "gpu_layers" => options with { GpuLayerCount = value },
                "reproducible" when value is 0 or 1 => options with { Reproducible = value == 1 },
                "context" or "parallel" or "reproducible" => throw new ModelSpecException(spec.Text, $"'{pair}' in '{spec.Text}' is out of range: context is 16 or more, parallel 1 or more, reproducible 0 or 1."),
                _ => throw new ModelSpecException(spec.Text, $"'{name}' in '{spec.Text}' is not a local model option: use context, parallel, gpu_layers or reproducible."),
            };
        }
        return (spec.Model[..question], options);
    }
}
