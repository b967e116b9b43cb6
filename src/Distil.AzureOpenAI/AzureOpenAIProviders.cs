using System.ClientModel;
using System.ClientModel.Primitives;
using Azure.AI.OpenAI;
using Azure.Core;
using Distil.OpenAI;
using Microsoft.Extensions.AI;

namespace Distil.AzureOpenAI;

/// <summary>
/// Clients for Azure OpenAI deployments, and their registration in a <see cref="ChatClientFactory"/>
/// under <c>azure</c>. Their clients carry an <see cref="OpenAIConnection"/>, so offline batches
/// (<see cref="OfflineBatchExtensions.UseOfflineBatchGeneration"/>) and token counts work as for
/// <c>openai:</c>.
/// </summary>
/// <remarks>
/// A package of its own because Azure.AI.OpenAI's only version that loads beside the OpenAI SDK
/// Distil.OpenAI uses is a beta: those who do not use Azure get no prerelease dependency. The SDK's
/// own retries are turned off: <see cref="ResilientChatClient"/> retries instead.
/// </remarks>
public static class AzureOpenAIProviders
{
    /// <summary>The environment variable with the Azure OpenAI resource endpoint.</summary>
    public const string EndpointVariable = "AZURE_OPENAI_ENDPOINT";

    /// <summary>The environment variable with the Azure OpenAI API key.</summary>
    public const string KeyVariable = "AZURE_OPENAI_API_KEY";

    // As Distil.OpenAI's: long enough for any answer; the resilience middleware's attempt timeout is the limit that counts.
    private static readonly TimeSpan NetworkTimeout = TimeSpan.FromMinutes(10);

    // The credential of the clients that only write request bodies (they never reach a network).
    private static readonly ApiKeyCredential Placeholder = new("placeholder-never-sent");

    /// <summary>Registers <c>azure:DEPLOYMENT</c>.</summary>
    /// <param name="factory">The factory to register with.</param>
    /// <param name="credential">
    /// An Entra ID credential (e.g. Azure.Identity's <c>DefaultAzureCredential</c>), used when
    /// <c>AZURE_OPENAI_API_KEY</c> is not set.
    /// </param>
    public static ChatClientFactory AddAzureOpenAI(this ChatClientFactory factory, TokenCredential? credential = null)
    {
        ArgumentNullException.ThrowIfNull(factory);
        return factory.Register("azure", (spec, f) =>
        {
            var endpoint = ParseUrl(spec.Text, f.RequireEnvironment(spec, EndpointVariable, "the endpoint of an Azure OpenAI resource"));
            if (f.Environment(KeyVariable) is { Length: > 0 } key) return CreateAzure(endpoint, spec.Model, key);
            if (credential is not null) return CreateAzure(endpoint, spec.Model, credential);
            throw new ModelSpecException(spec.Text,
                $"'{spec.Text}' needs a credential: set the environment variable {KeyVariable}, or pass a TokenCredential to AddAzureOpenAI(credential).");
        });
    }

    /// <summary>A client for an Azure OpenAI deployment, with an API key.</summary>
    public static IChatClient CreateAzure(Uri endpoint, string deployment, string apiKey)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        ArgumentException.ThrowIfNullOrWhiteSpace(deployment);
        ArgumentException.ThrowIfNullOrWhiteSpace(apiKey);
        return Azure(endpoint, deployment, new AzureOpenAIClient(endpoint, new ApiKeyCredential(apiKey), Options(null)));
    }

    /// <summary>A client for an Azure OpenAI deployment, with an Entra ID credential.</summary>
    public static IChatClient CreateAzure(Uri endpoint, string deployment, TokenCredential credential)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        ArgumentException.ThrowIfNullOrWhiteSpace(deployment);
        ArgumentNullException.ThrowIfNull(credential);
        return Azure(endpoint, deployment, new AzureOpenAIClient(endpoint, credential, Options(null)));
    }

    /// <summary>
    /// An embedding generator for <c>azure:DEPLOYMENT</c>, with the endpoint and key of
    /// <c>AZURE_OPENAI_ENDPOINT</c> and <c>AZURE_OPENAI_API_KEY</c>. The SDK's retries are off: the
    /// embedding step retries.
    /// </summary>
    /// <param name="spec">The model spec.</param>
    /// <param name="environment">Where variables are read (default: the process environment).</param>
    /// <exception cref="ModelSpecException">The spec is malformed, not <c>azure:</c>, or the endpoint or key is missing.</exception>
    public static IEmbeddingGenerator<string, Embedding<float>> CreateEmbeddingGenerator(string spec, Func<string, string?>? environment = null)
    {
        var parsed = ModelSpec.Parse(spec);
        if (parsed.Provider != "azure")
        {
            throw new ModelSpecException(spec, $"'{spec}' is not an Azure OpenAI deployment (azure:DEPLOYMENT); for openai: and endpoint: use OpenAIProviders.CreateEmbeddingGenerator.");
        }
        environment ??= Environment.GetEnvironmentVariable;
        string Require(string variable, string purpose) => environment(variable) is { Length: > 0 } value
            ? value
            : throw new ModelSpecException(spec, $"'{spec}' needs {purpose}: set the environment variable {variable}.");
        var endpoint = ParseUrl(spec, Require(EndpointVariable, "the endpoint of an Azure OpenAI resource"));
        return new AzureOpenAIClient(endpoint, new ApiKeyCredential(Require(KeyVariable, "an Azure OpenAI key")), Options(null))
            .GetEmbeddingClient(parsed.Model).AsIEmbeddingGenerator();
    }

    // The online client, with the connection the batch client and the estimate find through it.
    private static IChatClient Azure(Uri endpoint, string deployment, AzureOpenAIClient client) =>
        new OpenAIConnection(OpenAIConnection.Service.Azure, endpoint, deployment, client,
                transport => new AzureOpenAIClient(endpoint, Placeholder, Options(transport)).GetChatClient(deployment).AsIChatClient())
            .Attach(client.GetChatClient(deployment).AsIChatClient());

    private static AzureOpenAIClientOptions Options(PipelineTransport? transport)
    {
        var options = new AzureOpenAIClientOptions { RetryPolicy = new ClientRetryPolicy(maxRetries: 0), NetworkTimeout = NetworkTimeout };
        if (transport is not null) options.Transport = transport;
        return options;
    }

    private static Uri ParseUrl(string spec, string value) =>
        Uri.TryCreate(value, UriKind.Absolute, out var url) && url.Scheme is "http" or "https"
            ? url
            : throw new ModelSpecException(spec, $"'{spec}': the environment variable {EndpointVariable} is not an http(s) URL.");
}
