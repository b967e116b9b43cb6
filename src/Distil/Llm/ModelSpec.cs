namespace Distil;

/// <summary>
/// Which LLM to use, written as one string: <c>provider:model</c>. The providers Distil knows:
/// <list type="bullet">
/// <item><c>openai:gpt-4o-mini</c>: OpenAI (key in <c>OPENAI_API_KEY</c>; <c>OPENAI_BASE_URL</c> moves it);</item>
/// <item><c>azure:my-deployment</c>: an Azure OpenAI deployment (<c>AZURE_OPENAI_ENDPOINT</c>, <c>AZURE_OPENAI_API_KEY</c>);</item>
/// <item><c>endpoint:http://127.0.0.1:8000/v1#model-name</c>: any OpenAI-compatible server (vLLM, Ollama, llama.cpp server);
/// several replicas of one model as <c>endpoint:http://a:8000/v1,http://b:8000/v1#model-name</c>, balanced;</item>
/// <item><c>local:/path/model.gguf</c>: a GGUF file run in-process.</item>
/// </list>
/// </summary>
/// <param name="Provider">The part before the first colon, lower-cased.</param>
/// <param name="Model">The model, deployment or file; for <c>endpoint</c>, the part after <c>#</c>.</param>
/// <param name="Endpoint">For <c>endpoint</c>: the (first) server's base URL.</param>
/// <param name="Text">The spec as written.</param>
public sealed record ModelSpec(string Provider, string Model, Uri? Endpoint, string Text)
{
    /// <summary>For <c>endpoint</c>: every server's base URL, in the order written (one for a plain spec).</summary>
    public IReadOnlyList<Uri> Endpoints { get; init; } = Endpoint is null ? [] : [Endpoint];

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
        var urls = rest[..hash].Split(',');
        var endpoints = new List<Uri>();
        for (var i = 0; i < urls.Length; i++)
        {
            var url = urls[i].Trim();
            var which = urls.Length == 1 ? "" : $" (URL {i + 1} of {urls.Length})";
            if (url.Length == 0)
            {
                throw new ModelSpecException(text, $"'{text}' has an empty URL{which}: write endpoint:URL1,URL2#model-name, the URLs separated by single commas.");
            }
            if (!Uri.TryCreate(url, UriKind.Absolute, out var endpoint) || endpoint.Scheme is not ("http" or "https") || url.Contains(' ', StringComparison.Ordinal))
            {
                throw new ModelSpecException(text, $"'{url}'{which} in '{text}' is not an http(s) URL: write endpoint:URL#model-name, e.g. endpoint:http://127.0.0.1:8000/v1#my-model.");
            }
            if (endpoints.Any(e => e.AbsoluteUri.TrimEnd('/') == endpoint.AbsoluteUri.TrimEnd('/')))
            {
                throw new ModelSpecException(text, $"'{url}'{which} is listed twice in '{text}': name each server once.");
            }
            endpoints.Add(WithoutTrailingSlash(endpoint));
        }
        return new ModelSpec(provider, rest[(hash + 1)..], endpoints[0], text) { Endpoints = endpoints };
    }

    // One server, one URL: http://host/v1/ and http://host/v1 are the same base URL, so the same model
    // (answers already kept for one are reused for the other).
    private static Uri WithoutTrailingSlash(Uri endpoint)
    {
        if (endpoint.AbsolutePath is "/" || !endpoint.AbsolutePath.EndsWith('/')) return endpoint;
        return new UriBuilder(endpoint) { Path = endpoint.AbsolutePath.TrimEnd('/') }.Uri;
    }

    /// <summary>The spec as written.</summary>
    public override string ToString() => Text;

    private const string Examples =
        "For example: openai:gpt-4o-mini, azure:my-deployment, endpoint:http://127.0.0.1:8000/v1#my-model or local:models/model.gguf.";
}
