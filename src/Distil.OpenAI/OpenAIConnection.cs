using System.ClientModel.Primitives;
using Microsoft.Extensions.AI;
using OpenAI;

namespace Distil.OpenAI;

/// <summary>
/// The service a client made by <see cref="OpenAIProviders"/> talks to, kept so that the offline
/// batch client reaches the same service's Files and Batch API through the same SDK client (the
/// same endpoint and credential, an API key or an Entra ID token) and builds its request bodies
/// with the same conversion. Found with <c>GetService&lt;OpenAIConnection&gt;()</c> through any
/// middleware. Its text form names no secret.
/// </summary>
public sealed class OpenAIConnection
{
    private readonly Func<PipelineTransport, IChatClient> _chatClientOver;
    private readonly Lazy<ITokenCounter?> _tokenCounter;

    /// <summary>
    /// Describes a service reached through an OpenAI SDK client. Providers of other packages
    /// (Distil.AzureOpenAI) make one for their clients and <see cref="Attach"/> it, so that offline
    /// batches and token counts work for them as for <see cref="OpenAIProviders"/>' own.
    /// </summary>
    /// <param name="kind">The kind of service (it decides the Batch API's routes).</param>
    /// <param name="endpoint">The base URL or the resource endpoint.</param>
    /// <param name="model">The model, or the deployment.</param>
    /// <param name="client">The SDK client, with its credential: batch files and batches go through it.</param>
    /// <param name="chatClientOver">
    /// The same chat client as the online one, over a given transport and with a placeholder
    /// credential: how batch request bodies are written without reaching the network.
    /// </param>
    public OpenAIConnection(Service kind, Uri endpoint, string model, OpenAIClient client, Func<PipelineTransport, IChatClient> chatClientOver)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        ArgumentException.ThrowIfNullOrWhiteSpace(model);
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(chatClientOver);
        Kind = kind;
        Endpoint = endpoint;
        Model = model;
        Client = client;
        _chatClientOver = chatClientOver;
        _tokenCounter = new(() => OpenAITokenCounter.For(model));
    }

    /// <summary>The kind of service.</summary>
    public enum Service
    {
        /// <summary>OpenAI, or an OpenAI-compatible server.</summary>
        OpenAI,

        /// <summary>Azure OpenAI, with an API key or an Entra ID credential (the Distil.AzureOpenAI package).</summary>
        Azure,
    }

    /// <summary>OpenAI (or compatible) or Azure OpenAI.</summary>
    public Service Kind { get; }

    /// <summary>The base URL (OpenAI: ending in <c>/v1/</c>) or the Azure resource endpoint.</summary>
    public Uri Endpoint { get; }

    /// <summary>The model, or the Azure deployment.</summary>
    public string Model { get; }

    /// <summary>The SDK's client for the service (an <c>AzureOpenAIClient</c> for Azure), with its credential.</summary>
    public OpenAIClient Client { get; }

    /// <summary>The service and model, never the credential.</summary>
    public override string ToString() => $"{Kind} {Endpoint} model {Model}";

    /// <summary>
    /// The same chat client as the online one (same kind of SDK client, same model, same
    /// Microsoft.Extensions.AI conversion), sending through <paramref name="transport"/> with a
    /// placeholder credential: how batch request bodies are written.
    /// </summary>
    internal IChatClient ChatClientOver(PipelineTransport transport) => _chatClientOver(transport);

    /// <summary>The model's tokenizer when it is an OpenAI model whose encoding is known (an Azure deployment named after its model too); else null.</summary>
    public ITokenCounter? TokenCounter => _tokenCounter.Value;

    /// <summary>
    /// <paramref name="chatClient"/>, answering <c>GetService&lt;OpenAIConnection&gt;()</c> with
    /// this connection and <c>GetService&lt;ITokenCounter&gt;()</c> with its token counter: what
    /// <see cref="OfflineBatchExtensions.UseOfflineBatchGeneration"/> and the estimate look for.
    /// </summary>
    /// <param name="chatClient">The provider's chat client, over <see cref="Client"/>.</param>
    public IChatClient Attach(IChatClient chatClient)
    {
        ArgumentNullException.ThrowIfNull(chatClient);
        return new Carrier(chatClient, this);
    }

    /// <summary>Carries the connection of the provider client it wraps, and its token counter.</summary>
    internal sealed class Carrier(IChatClient inner, OpenAIConnection connection) : DelegatingChatClient(inner)
    {
        public override object? GetService(Type serviceType, object? serviceKey = null) =>
            serviceKey is not null ? base.GetService(serviceType, serviceKey)
            : serviceType == typeof(OpenAIConnection) ? connection
            : serviceType == typeof(ITokenCounter) ? connection.TokenCounter
            : base.GetService(serviceType, serviceKey);
    }
}
