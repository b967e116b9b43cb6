using Microsoft.Extensions.AI;

namespace Distil.OpenAI;

/// <summary>
/// Where a client made by <see cref="OpenAIProviders"/> sends its requests, kept so that the offline
/// batch client can reach the same service's Files and Batches API. Found with
/// <c>GetService&lt;OpenAIConnection&gt;()</c> through any middleware. Its text form leaves the key out.
/// </summary>
public sealed class OpenAIConnection
{
    internal OpenAIConnection(Service kind, Uri endpoint, string model, string apiKey)
    {
        Kind = kind;
        Endpoint = endpoint;
        Model = model;
        ApiKey = apiKey;
    }

    /// <summary>The kind of service.</summary>
    public enum Service
    {
        /// <summary>OpenAI, or an OpenAI-compatible server.</summary>
        OpenAI,

        /// <summary>Azure OpenAI with an API key.</summary>
        Azure,
    }

    /// <summary>OpenAI (or compatible) or Azure OpenAI.</summary>
    public Service Kind { get; }

    /// <summary>The base URL (OpenAI: ending in <c>/v1/</c>) or the Azure resource endpoint.</summary>
    public Uri Endpoint { get; }

    /// <summary>The model, or the Azure deployment.</summary>
    public string Model { get; }

    internal string ApiKey { get; }

    /// <summary>The service and model, never the key.</summary>
    public override string ToString() => $"{Kind} {Endpoint} model {Model}";

    /// <summary>Carries the connection of the provider client it wraps.</summary>
    internal sealed class Carrier(IChatClient inner, OpenAIConnection connection) : DelegatingChatClient(inner)
    {
        public override object? GetService(Type serviceType, object? serviceKey = null) =>
            serviceKey is null && serviceType == typeof(OpenAIConnection) ? connection : base.GetService(serviceType, serviceKey);
    }
}
