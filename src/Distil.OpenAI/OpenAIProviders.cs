using System.ClientModel;
using System.ClientModel.Primitives;
using Microsoft.Extensions.AI;
using OpenAI;

namespace Distil.OpenAI;

/// <summary>
/// Clients for OpenAI and OpenAI-compatible servers, and their registration in a
/// <see cref="ChatClientFactory"/> under <c>openai</c> and <c>endpoint</c>. Azure OpenAI
/// (<c>azure</c>) is in the Distil.AzureOpenAI package: it depends on a prerelease Azure SDK.
/// </summary>
/// <remarks>
/// The SDKs' own retries are turned off: <see cref="ResilientChatClient"/> retries instead, with
/// one policy for every provider, logs that say why, and <c>Retry-After</c> honoured.
/// </remarks>
public static class OpenAIProviders
{
    /// <summary>The environment variable with the OpenAI API key.</summary>
    public const string OpenAIKeyVariable = "OPENAI_API_KEY";

    /// <summary>The environment variable that points <c>openai:</c> at another base URL.</summary>
    public const string OpenAIBaseUrlVariable = "OPENAI_BASE_URL";

    /// <summary>
    /// The environment variable with a key for <c>endpoint:</c> servers. It is not
    /// <c>OPENAI_API_KEY</c> on purpose: an OpenAI key must never be sent to a third-party server.
    /// </summary>
    public const string EndpointKeyVariable = "DISTIL_ENDPOINT_API_KEY";

    // Long enough for any answer: the attempt timeout of the resilience middleware is the limit that counts.
    private static readonly TimeSpan NetworkTimeout = TimeSpan.FromMinutes(10);

    /// <summary>
    /// Registers <c>openai:MODEL</c> and <c>endpoint:URL#MODEL</c>. For <c>azure:DEPLOYMENT</c>,
    /// reference Distil.AzureOpenAI and call its <c>AddAzureOpenAI()</c> too.
    /// </summary>
    /// <param name="factory">The factory to register with.</param>
    public static ChatClientFactory AddOpenAI(this ChatClientFactory factory)
    {
        ArgumentNullException.ThrowIfNull(factory);
        factory.Register("openai", static (spec, f) =>
        {
            var key = f.RequireEnvironment(spec, OpenAIKeyVariable, "an OpenAI API key");
            var baseUrl = f.Environment(OpenAIBaseUrlVariable) is { Length: > 0 } url
                ? ParseUrl(spec, url, OpenAIBaseUrlVariable)
                : null;
            return CreateOpenAI(spec.Model, key, baseUrl);
        });
        factory.Register("endpoint", static (spec, f) =>
            CreateEndpoint(spec.Endpoint!, spec.Model, f.Environment(EndpointKeyVariable)));
        return factory;
    }

    /// <summary>A client for an OpenAI model, at <paramref name="baseUrl"/> when given.</summary>
    public static IChatClient CreateOpenAI(string model, string apiKey, Uri? baseUrl = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(model);
        ArgumentException.ThrowIfNullOrWhiteSpace(apiKey);
        OpenAIClient Client(ApiKeyCredential credential, PipelineTransport? transport)
        {
            var options = new OpenAIClientOptions { RetryPolicy = new ClientRetryPolicy(maxRetries: 0), NetworkTimeout = NetworkTimeout };
            if (baseUrl is not null) options.Endpoint = baseUrl;
            if (transport is not null) options.Transport = transport;
            return new OpenAIClient(credential, options);
        }
        var client = Client(new ApiKeyCredential(apiKey), null);
        return new OpenAIConnection.Carrier(client.GetChatClient(model).AsIChatClient(), new OpenAIConnection(
            OpenAIConnection.Service.OpenAI, baseUrl ?? new Uri("https://api.openai.com/v1/"), model, client,
            transport => Client(Placeholder, transport).GetChatClient(model).AsIChatClient()));
    }

    /// <summary>
    /// A client for a model served at an OpenAI-compatible <paramref name="baseUrl"/>, such as
    /// <c>http://127.0.0.1:8000/v1</c> (vLLM), <c>http://127.0.0.1:11434/v1</c> (Ollama) or a
    /// llama.cpp server. Servers that check no key get a placeholder.
    /// </summary>
    public static IChatClient CreateEndpoint(Uri baseUrl, string model, string? apiKey = null)
    {
        ArgumentNullException.ThrowIfNull(baseUrl);
        return CreateOpenAI(model, string.IsNullOrWhiteSpace(apiKey) ? "no-key" : apiKey, baseUrl);
    }

    // The credential of the clients that only write request bodies (they never reach a network).
    private static readonly ApiKeyCredential Placeholder = new("placeholder-never-sent");

    /// <summary>
    /// An embedding generator for <c>openai:MODEL</c> (e.g. <c>openai:text-embedding-3-small</c>),
    /// or <c>endpoint:URL#MODEL</c> (any server with <c>/v1/embeddings</c>), reading keys and
    /// endpoints from the same environment variables as the chat providers (for
    /// <c>azure:DEPLOYMENT</c>: Distil.AzureOpenAI's <c>AzureOpenAIProviders.CreateEmbeddingGenerator</c>). The SDK's retries are off: the embedding step retries.
    /// </summary>
    /// <param name="spec">The model spec.</param>
    /// <param name="environment">Where variables are read (default: the process environment).</param>
    /// <exception cref="ModelSpecException">The spec is malformed, of another provider, or a key or endpoint is missing.</exception>
    public static IEmbeddingGenerator<string, Embedding<float>> CreateEmbeddingGenerator(string spec, Func<string, string?>? environment = null)
    {
        var parsed = ModelSpec.Parse(spec);
        environment ??= Environment.GetEnvironmentVariable;
        string Require(string variable, string purpose) => environment(variable) is { Length: > 0 } value
            ? value
            : throw new ModelSpecException(spec, $"'{spec}' needs {purpose}: set the environment variable {variable}.");
        var options = new OpenAIClientOptions { RetryPolicy = new ClientRetryPolicy(maxRetries: 0), NetworkTimeout = NetworkTimeout };
        switch (parsed.Provider)
        {
            case "openai":
                if (environment(OpenAIBaseUrlVariable) is { Length: > 0 } url) options.Endpoint = ParseUrl(parsed, url, OpenAIBaseUrlVariable);
                return new OpenAIClient(new ApiKeyCredential(Require(OpenAIKeyVariable, "an OpenAI API key")), options).GetEmbeddingClient(parsed.Model).AsIEmbeddingGenerator();
            case "endpoint":
                options.Endpoint = parsed.Endpoint;
                return new OpenAIClient(new ApiKeyCredential(environment(EndpointKeyVariable) is { Length: > 0 } key ? key : "no-key"), options)
                    .GetEmbeddingClient(parsed.Model).AsIEmbeddingGenerator();
            case "azure":
                throw new ModelSpecException(spec, $"'{spec}' is an Azure OpenAI deployment: reference the Distil.AzureOpenAI package and use AzureOpenAIProviders.CreateEmbeddingGenerator.");
            default:
                throw new ModelSpecException(spec, $"'{spec}' is not an OpenAI or endpoint model; for local:PATH use LocalModelsRegistration.CreateEmbeddingGenerator.");
        }
    }

    private static Uri ParseUrl(ModelSpec spec, string value, string variable) =>
        Uri.TryCreate(value, UriKind.Absolute, out var url) && url.Scheme is "http" or "https"
            ? url
            : throw new ModelSpecException(spec.Text, $"'{spec.Text}': the environment variable {variable} is not an http(s) URL.");
}
