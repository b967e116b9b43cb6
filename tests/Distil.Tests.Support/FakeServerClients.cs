using Distil.AzureOpenAI;
using Distil.OpenAI;
using Distil.Testing;
using Distil.Tests.Support;
using Microsoft.Extensions.AI;

namespace Distil.Tests.Providers;

/// <summary>Builds clients the way users do, against a fake server, with fast retries for tests.</summary>
public static class FakeServerClients
{
    /// <summary>Retries every few milliseconds, so that tests of thousands of faults stay quick.</summary>
    public static ResilienceOptions FastRetries { get; } = new()
    {
        BaseDelay = TimeSpan.FromMilliseconds(2),
        MaxDelay = TimeSpan.FromMilliseconds(20),
        AttemptTimeout = TimeSpan.FromSeconds(20),
    };

    public static ChatClientFactory Factory(
        FakeOpenAIServer server, ListLogger? logger = null, ResilienceOptions? resilience = null,
        Microsoft.Extensions.Caching.Distributed.IDistributedCache? cache = null, string apiKey = "test-key") =>
        new ChatClientFactory
        {
            Resilience = resilience ?? FastRetries,
            Cache = cache,
            Logger = logger,
            Environment = name => name switch
            {
                OpenAIProviders.OpenAIKeyVariable => apiKey,
                OpenAIProviders.OpenAIBaseUrlVariable => server.BaseUrl.ToString(),
                Distil.AzureOpenAI.AzureOpenAIProviders.EndpointVariable => server.Endpoint.ToString(),
                Distil.AzureOpenAI.AzureOpenAIProviders.KeyVariable => apiKey,
                _ => null,
            },
        }.AddOpenAI().AddAzureOpenAI();

    public static IChatClient OpenAI(
        FakeOpenAIServer server, ListLogger? logger = null, ResilienceOptions? resilience = null, Microsoft.Extensions.Caching.Distributed.IDistributedCache? cache = null) =>
        Factory(server, logger, resilience, cache).Create("openai:fake-model");
}
