namespace Distil;

/// <summary>
/// Which LLM to use, written as one string: <c>provider:model</c>. The providers Distil knows:
/// <list type="bullet">
/// <item><c>openai:gpt-4o-mini</c>: OpenAI (key in <c>OPENAI_API_KEY</c>; <c>OPENAI_BASE_URL</c> moves it);</item>
/// <item><c>azure:my-deployment</c>: an Azure OpenAI deployment (<c>AZURE_OPENAI_ENDPOINT</c>, <c>AZURE_OPENAI_API_KEY</c>);</item>
/// <item><c>endpoint:http://127.0.0.1:8000/v1#model-name</c>: any OpenAI-compatible server (vLLM, Ollama, llama.cpp server);</item>
/// <item><c>local:/path/model.gguf</c>: a GGUF file run in-process.</item>
/// </list>
/// </summary>
/// <param name="Provider">The part before the first colon, lower-cased.</param>
/// <param name="Model">The model, deployment or file; for <c>endpoint</c>, the part after <c>#</c>.</param>
/// <param name="Endpoint">For <c>endpoint</c>: the server's base URL.</param>
/// <param name="Text">The spec as written.</param>
public sealed record ModelSpec(string Provider, string Model, Uri? Endpoint, string Text)
{
    /// <summary>Reads a spec.</summary>
    /// <exception cref="ModelSpecException">The text is not of the form <c>provider:model</c>, or an endpoint spec lacks its URL or model.</exception>
    public static ModelSpec Parse(string text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            throw new ModelSpecException(text ?? "", $"A model spec is empty. {Examples}");
        }
        var colon = text.IndexOf(':', StringComparison.Ordinal);
        if (colon <= 0)
        {
            throw new ModelSpecException(text, $"'{text}' is not a model spec: write provider:model. {Examples}");
        }
        var provider = text[..colon].Trim().ToLowerInvariant();
        var rest = text[(colon + 1)..].Trim();
        if (rest.Length == 0 || provider.Length == 0)
        {
            throw new ModelSpecException(text, $"'{text}' is not a model spec: write provider:model. {Examples}");
        }
        if (provider != "endpoint") return new ModelSpec(provider, rest, null, text);

        var hash = rest.LastIndexOf('#');
        if (hash < 0 || hash == rest.Length - 1)
        {
            throw new ModelSpecException(text, $"'{text}' names no model: write endpoint:URL#model-name, e.g. endpoint:http://127.0.0.1:8000/v1#my-model.");
        }
        var url = rest[..hash];
        if (!Uri.TryCreate(url, UriKind.Absolute, out var endpoint) || endpoint.Scheme is not ("http" or "https"))
        {
            throw new ModelSpecException(text, $"'{url}' in '{text}' is not an http(s) URL: write endpoint:URL#model-name, e.g. endpoint:http://127.0.0.1:8000/v1#my-model.");
        }
        return new ModelSpec(provider, rest[(hash + 1)..], endpoint, text);
    }

    /// <summary>The spec as written.</summary>
    public override string ToString() => Text;

    private const string Examples =
        "For example: openai:gpt-4o-mini, azure:my-deployment, endpoint:http://127.0.0.1:8000/v1#my-model or local:models/model.gguf.";
}
