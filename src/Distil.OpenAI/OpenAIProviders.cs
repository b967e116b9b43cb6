using System.ClientModel;
using System.ClientModel.Primitives;
using Azure.AI.OpenAI;
using Azure.Core;
using Microsoft.Extensions.AI;
using OpenAI;

namespace Distil.OpenAI;

/// <summary>
/// Clients for OpenAI, Azure OpenAI and OpenAI-compatible servers, and their registration in a
/// <see cref="ChatClientFactory"/> under <c>openai</c>, <c>azure</c> and <c>endpoint</c>.
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

    /// <summary>The environment variable with the Azure OpenAI resource endpoint.</summary>
    public const string AzureEndpointVariable = "AZURE_OPENAI_ENDPOINT";

    /// <summary>The environment variable with the Azure OpenAI API key.</summary>
    public const string AzureKeyVariable = "AZURE_OPENAI_API_KEY";

    /// <summary>
    /// The environment variable with a key for <c>endpoint:</c> servers. It is not
    /// <c>OPENAI_API_KEY</c> on purpose: an OpenAI key must never be sent to a third-party server.
    /// </summary>
    public const string EndpointKeyVariable = "DISTIL_ENDPOINT_API_KEY";

    // Long enough for any answer: the attempt timeout of the resilience middleware is the limit that counts.
    private static readonly TimeSpan NetworkTimeout = TimeSpan.FromMinutes(10);

    /// <summary>
    /// Registers <c>openai:MODEL</c>, <c>azure:DEPLOYMENT</c> and <c>endpoint:URL#MODEL</c>.
    /// </summary>
    /// <param name="factory">The factory to register with.</param>
    /// <param name="azureCredential">
    /// For <c>azure:</c>: an Entra ID credential (e.g. Azure.Identity's <c>DefaultAzureCredential</c>)
    /// used when <c>AZURE_OPENAI_API_KEY</c> is not set.
    /// </param>
    public static ChatClientFactory AddOpenAI(this ChatClientFactory factory, TokenCredential? azureCredential = null)
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
        factory.Register("azure", (spec, f) =>
        {
            var endpoint = ParseUrl(spec, f.RequireEnvironment(spec, AzureEndpointVariable, "the endpoint of an Azure OpenAI resource"), AzureEndpointVariable);
            if (f.Environment(AzureKeyVariable) is { Length: > 0 } key) return CreateAzure(endpoint, spec.Model, key);
            if (azureCredential is not null) return CreateAzure(endpoint, spec.Model, azureCredential);
            throw new ModelSpecException(spec.Text,
                $"'{spec.Text}' needs a credential: set the environment variable {AzureKeyVariable}, or pass a TokenCredential to AddOpenAI(azureCredential).");
        });
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

    /// <summary>A client for an Azure OpenAI deployment, with an API key.</summary>
    public static IChatClient CreateAzure(Uri endpoint, string deployment, string apiKey)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        ArgumentException.ThrowIfNullOrWhiteSpace(deployment);
        ArgumentException.ThrowIfNullOrWhiteSpace(apiKey);
        return Azure(endpoint, deployment, new AzureOpenAIClient(endpoint, new ApiKeyCredential(apiKey), AzureOptions(null)));
    }

    /// <summary>A client for an Azure OpenAI deployment, with an Entra ID credential.</summary>
    public static IChatClient CreateAzure(Uri endpoint, string deployment, TokenCredential credential)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        ArgumentException.ThrowIfNullOrWhiteSpace(deployment);
        ArgumentNullException.ThrowIfNull(credential);
        return Azure(endpoint, deployment, new AzureOpenAIClient(endpoint, credential, AzureOptions(null)));
    }

    private static IChatClient Azure(Uri endpoint, string deployment, AzureOpenAIClient client) =>
        new OpenAIConnection.Carrier(client.GetChatClient(deployment).AsIChatClient(), new OpenAIConnection(
            OpenAIConnection.Service.Azure, endpoint, deployment, client,
            transport => new AzureOpenAIClient(endpoint, Placeholder, AzureOptions(transport)).GetChatClient(deployment).AsIChatClient()));

    // The credential of the clients that only write request bodies (they never reach a network).
    private static readonly ApiKeyCredential Placeholder = new("placeholder-never-sent");

    private static AzureOpenAIClientOptions AzureOptions(PipelineTransport? transport)
    {
        var options = new AzureOpenAIClientOptions { RetryPolicy = new ClientRetryPolicy(maxRetries: 0), NetworkTimeout = NetworkTimeout };
        if (transport is not null) options.Transport = transport;
        return options;
    }

    /// <summary>
    /// An embedding generator for <c>openai:MODEL</c> (e.g. <c>openai:text-embedding-3-small</c>),
    /// <c>endpoint:URL#MODEL</c> (any server with <c>/v1/embeddings</c>) or <c>azure:DEPLOYMENT</c>
    /// (with <c>AZURE_OPENAI_API_KEY</c>), reading keys and endpoints from the same environment
    /// variables as the chat providers. The SDK's retries are off: the embedding step retries.
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
                var endpoint = ParseUrl(parsed, Require(AzureEndpointVariable, "the endpoint of an Azure OpenAI resource"), AzureEndpointVariable);
                return new AzureOpenAIClient(endpoint, new ApiKeyCredential(Require(AzureKeyVariable, "an Azure OpenAI key")), AzureOptions(null))
                    .GetEmbeddingClient(parsed.Model).AsIEmbeddingGenerator();
            default:
                throw new ModelSpecException(spec, $"'{spec}' is not an OpenAI, Azure OpenAI or endpoint model; for local:PATH use LocalModelsRegistration.CreateEmbeddingGenerator.");
        }
    }

    private static Uri ParseUrl(ModelSpec spec, string value, string variable) =>
        Uri.TryCreate(value, UriKind.Absolute, out var url) && url.Scheme is "http" or "https"
            ? url
            : throw new ModelSpecException(spec.Text, $"'{spec.Text}': the environment variable {variable} is not an http(s) URL.");
}
