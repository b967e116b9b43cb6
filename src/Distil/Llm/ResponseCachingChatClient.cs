using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization.Metadata;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Caching.Distributed;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Distil;

/// <summary>
/// Answers a request from a cache when the very same request was answered before, and stores
/// every new answer: in Distil's SQLite file (<see cref="ResponseCache"/>) or any
/// <see cref="IDistributedCache"/> (Redis, SQL Server, memory). The key is a hash of everything
/// that shapes an answer: a format version, the provider, its endpoint and model, the messages,
/// and every option (temperature, seed, response format, the generation index Distil adds for the
/// 2nd, 3rd… generation of a prompt).
/// </summary>
/// <remarks>
/// A cache that fails while a run is under way does not cost the run its answers: a failed read
/// or an entry that no longer deserializes counts as a miss, and a failed write is skipped, each
/// with a warning. Unlike Microsoft.Extensions.AI's <c>DistributedCachingChatClient</c>, the key
/// names the service that answered, so two endpoints serving one model name never share answers.
/// </remarks>
public sealed class ResponseCachingChatClient : CachingChatClient
{
    // Part of every key: change it when the stored form of an answer changes.
    private const string KeyFormat = "distil-response-cache-v1";

    private readonly IDistributedCache _cache;
    private readonly string _provider;
    private long _hits;
    private long _misses;

    /// <summary>Wraps <paramref name="innerClient"/> with <paramref name="cache"/>.</summary>
    public ResponseCachingChatClient(IChatClient innerClient, IDistributedCache cache, ILogger? logger = null)
        : base(innerClient)
    {
        _cache = cache ?? throw new ArgumentNullException(nameof(cache));
        Logger = logger ?? NullLogger.Instance;
        _provider = ProviderIdentity(innerClient.GetService<ChatClientMetadata>());
    }

    /// <summary>Receives warnings when the cache cannot be read or written.</summary>
    public ILogger Logger { get; set; }

    /// <summary>
    /// How long new answers are kept (absolute or sliding expiry); null, the default, keeps them
    /// until the cache is cleared. Answers paid for once are usually worth keeping.
    /// </summary>
    public DistributedCacheEntryOptions? EntryOptions { get; set; }

    /// <summary>
    /// Keys answers by the call of the run as well (row, generation, call number), so that two rows
    /// with the same prompt keep answers of their own: the attempt journal a pipeline keeps for
    /// tasks that make several calls per generation.
    /// </summary>
    internal bool KeyedByCall { get; init; }

    /// <summary>Requests answered from the cache.</summary>
    public long Hits => Interlocked.Read(ref _hits);

    /// <summary>Requests that were not in the cache and went to the LLM.</summary>
    public long Misses => Interlocked.Read(ref _misses);

    /// <inheritdoc/>
    protected override string GetCacheKey(IEnumerable<ChatMessage> messages, ChatOptions? options, params ReadOnlySpan<object?> additionalValues)
    {
        var values = new object?[additionalValues.Length + (KeyedByCall ? 5 : 4)];
        values[0] = KeyFormat;
        values[1] = _provider;
        values[2] = messages;
        values[3] = options;
        additionalValues.CopyTo(values.AsSpan(4));
        if (KeyedByCall) values[^1] = CallScope.Call;
        return AIJsonUtilities.HashDataToString(values, AIJsonUtilities.DefaultOptions);
    }

    /// <inheritdoc/>
    protected override async Task<ChatResponse?> ReadCacheAsync(string key, CancellationToken cancellationToken)
    {
        var bytes = await TryReadAsync(key, cancellationToken).ConfigureAwait(false);
        var response = bytes is null ? null : TryDeserialize(bytes, static data => JsonSerializer.Deserialize(data, ResponseInfo));
        Interlocked.Increment(ref response is null ? ref _misses : ref _hits);
        if (response is not null) CallScope.CacheHit();
        return response;
    }

    /// <inheritdoc/>
    protected override Task WriteCacheAsync(string key, ChatResponse value, CancellationToken cancellationToken) =>
        TryWriteAsync(key, JsonSerializer.SerializeToUtf8Bytes(value, ResponseInfo), cancellationToken);

    /// <inheritdoc/>
    protected override async Task<IReadOnlyList<ChatResponseUpdate>?> ReadCacheStreamingAsync(string key, CancellationToken cancellationToken)
    {
        var bytes = await TryReadAsync("stream:" + key, cancellationToken).ConfigureAwait(false);
        var updates = bytes is null ? null : TryDeserialize(bytes, static data =>
            JsonNode.Parse(data)?.AsArray().Select(update => update.Deserialize(UpdateInfo)!).ToList());
        Interlocked.Increment(ref updates is null ? ref _misses : ref _hits);
        if (updates is not null) CallScope.CacheHit();
        return updates;
    }

    /// <inheritdoc/>
    protected override Task WriteCacheStreamingAsync(string key, IReadOnlyList<ChatResponseUpdate> value, CancellationToken cancellationToken) =>
        TryWriteAsync("stream:" + key, System.Text.Encoding.UTF8.GetBytes(new JsonArray(value.Select(update => JsonSerializer.SerializeToNode(update, UpdateInfo)).ToArray()).ToJsonString()), cancellationToken);

    // Microsoft.Extensions.AI's own source-generated contracts: no reflection (trimming- and AOT-safe).
    private static JsonTypeInfo<ChatResponse> ResponseInfo => (JsonTypeInfo<ChatResponse>)AIJsonUtilities.DefaultOptions.GetTypeInfo(typeof(ChatResponse));

    private static JsonTypeInfo<ChatResponseUpdate> UpdateInfo => (JsonTypeInfo<ChatResponseUpdate>)AIJsonUtilities.DefaultOptions.GetTypeInfo(typeof(ChatResponseUpdate));

    // An entry that no longer reads (damaged, or written by another version) is a miss: the new
    // answer replaces it.
    private T? TryDeserialize<T>(byte[] json, Func<byte[], T?> read) where T : class
    {
        try
        {
            return read(json);
        }
        catch (Exception error) when (error is JsonException or InvalidOperationException)
        {
            Logger.LogWarning("A cached answer could not be read and is asked for again. {Error}", error.Message);
            return null;
        }
    }

    // Any cache's failure (a damaged file, Redis gone) is a miss or a skipped write; only
    // cancellation passes through.
    private async Task<byte[]?> TryReadAsync(string key, CancellationToken cancellationToken)
    {
        try
        {
            return await _cache.GetAsync(key, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception error) when (error is not OperationCanceledException)
        {
            Logger.LogWarning("The response cache could not be read; asking the LLM instead. {Error}", Describe(error));
            return null;
        }
    }

    private async Task TryWriteAsync(string key, byte[] json, CancellationToken cancellationToken)
    {
        try
        {
            await _cache.SetAsync(key, json, EntryOptions ?? NoExpiry, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception error) when (error is not OperationCanceledException)
        {
            Logger.LogWarning("An answer could not be stored in the response cache; the run keeps it. {Error}", Describe(error));
        }
    }

    private static readonly DistributedCacheEntryOptions NoExpiry = new();

    private static string Describe(Exception error) =>
        error is ResponseCacheException ? error.Message : $"{error.GetType().Name}: {error.Message}";

    // Which service answers: its name, the address without credentials or query, and its default
    // model. Two endpoints serving one model name must not share answers.
    private static string ProviderIdentity(ChatClientMetadata? metadata)
    {
        if (metadata is null) return "";
        var uri = metadata.ProviderUri is { } address
            ? address.GetComponents(UriComponents.SchemeAndServer | UriComponents.Path, UriFormat.UriEscaped)
            : "";
        return $"{metadata.ProviderName}|{uri}|{metadata.DefaultModelId}";
    }
}
