using Microsoft.Extensions.AI;
using Microsoft.Extensions.Caching.Distributed;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Distil;

/// <summary>Adds Distil's middleware to a Microsoft.Extensions.AI <see cref="ChatClientBuilder"/>.</summary>
public static class ChatClientBuilderExtensions
{
    /// <summary>Adds a <see cref="ResilientChatClient"/>: bounded concurrency, rate limits, timeouts and retries.</summary>
    public static ChatClientBuilder UseResilience(this ChatClientBuilder builder, ResilienceOptions? options = null, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.Use(inner => new ResilientChatClient(inner, options, logger));
    }

    /// <summary>
    /// Adds a <see cref="ResponseCachingChatClient"/> over <paramref name="cache"/> (Distil's
    /// <c>ResponseCache</c> of the Distil.Pipelines package file, or any <see cref="IDistributedCache"/>; when null, the
    /// <see cref="IDistributedCache"/> of the builder's services): a request seen before is answered
    /// from the cache without a call. Put it first, so that cached answers spend no rate limit.
    /// Its logger comes from the services' <see cref="ILoggerFactory"/> when there is one;
    /// <paramref name="configure"/> may set the logger and an expiry.
    /// </summary>
    /// <exception cref="InvalidOperationException">When built: no cache was given and the services have none.</exception>
    public static ChatClientBuilder UseResponseCache(this ChatClientBuilder builder, IDistributedCache? cache = null, Action<ResponseCachingChatClient>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.Use((inner, services) =>
        {
            var storage = cache ?? services.GetService<IDistributedCache>()
                ?? throw new InvalidOperationException("UseResponseCache() was given no cache and the services hold no IDistributedCache: pass ResponseCache.Open(path), or register one (services.AddDistributedMemoryCache(), a Redis or SQL Server cache).");
            var client = new ResponseCachingChatClient(inner, storage, services.GetService<ILoggerFactory>()?.CreateLogger<ResponseCachingChatClient>());
            configure?.Invoke(client);
            return client;
        });
    }
}
