using Microsoft.Extensions.AI;
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
    /// Adds a <see cref="ResponseCachingChatClient"/> over <paramref name="cache"/>: a request seen
    /// before is answered from the cache without a call. Put it first, so that cached answers
    /// spend no rate limit.
    /// </summary>
    public static ChatClientBuilder UseResponseCache(this ChatClientBuilder builder, ResponseCache cache, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(cache);
        return builder.Use(inner => new ResponseCachingChatClient(inner, cache, logger));
    }
}
