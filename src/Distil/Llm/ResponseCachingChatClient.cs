using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization.Metadata;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Distil;

/// <summary>
/// Answers a request from a <see cref="ResponseCache"/> when the very same request was answered
/// before, and stores every new answer. The key is a hash of everything that shapes an answer:
/// the provider, its endpoint and model, the messages, and every option (temperature, seed,
/// response format, the generation index Distil adds for the 2nd, 3rd… generation of a prompt).
/// </summary>
/// <remarks>
/// A cache that fails while a run is under way does not cost the run its answers: a failed read
/// or an entry that no longer deserializes counts as a miss, and a failed write is skipped, each
/// with a warning.
/// </remarks>
public sealed class ResponseCachingChatClient : CachingChatClient
{
    // Part of every key: change it when the stored form of an answer changes.
    private const string KeyFormat = "distil-response-cache-v1";

    private readonly ResponseCache _cache;
    private readonly ILogger _logger;
    private readonly string _provider;
    private long _hits;
    private long _misses;

    /// <summary>Wraps <paramref name="innerClient"/> with <paramref name="cache"/>.</summary>
    public ResponseCachingChatClient(IChatClient innerClient, ResponseCache cache, ILogger? logger = null)
        : base(innerClient)
    {
        _cache = cache ?? throw new ArgumentNullException(nameof(cache));
        _logger = logger ?? NullLogger.Instance;
        _provider = ProviderIdentity(innerClient.GetService<ChatClientMetadata>());
    }

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
        var json = await TryReadAsync(key, cancellationToken).ConfigureAwait(false);
        var response = json is null ? null : TryDeserialize(json, static text => JsonSerializer.Deserialize(text, ResponseInfo));
        Interlocked.Increment(ref response is null ? ref _misses : ref _hits);
        if (response is not null) CallScope.CacheHit();
        return response;
    }

    /// <inheritdoc/>
    protected override Task WriteCacheAsync(string key, ChatResponse value, CancellationToken cancellationToken) =>
        TryWriteAsync(key, JsonSerializer.Serialize(value, ResponseInfo), cancellationToken);

    /// <inheritdoc/>
    protected override async Task<IReadOnlyList<ChatResponseUpdate>?> ReadCacheStreamingAsync(string key, CancellationToken cancellationToken)
    {
        var json = await TryReadAsync("stream:" + key, cancellationToken).ConfigureAwait(false);
        var updates = json is null ? null : TryDeserialize(json, static text =>
            JsonNode.Parse(text)?.AsArray().Select(update => update.Deserialize(UpdateInfo)!).ToList());
        Interlocked.Increment(ref updates is null ? ref _misses : ref _hits);
        if (updates is not null) CallScope.CacheHit();
        return updates;
    }

    /// <inheritdoc/>
    protected override Task WriteCacheStreamingAsync(string key, IReadOnlyList<ChatResponseUpdate> value, CancellationToken cancellationToken) =>
        TryWriteAsync("stream:" + key, new JsonArray(value.Select(update => JsonSerializer.SerializeToNode(update, UpdateInfo)).ToArray()).ToJsonString(), cancellationToken);

    // Microsoft.Extensions.AI's own source-generated contracts: no reflection (trimming- and AOT-safe).
    private static JsonTypeInfo<ChatResponse> ResponseInfo => (JsonTypeInfo<ChatResponse>)AIJsonUtilities.DefaultOptions.GetTypeInfo(typeof(ChatResponse));

    private static JsonTypeInfo<ChatResponseUpdate> UpdateInfo => (JsonTypeInfo<ChatResponseUpdate>)AIJsonUtilities.DefaultOptions.GetTypeInfo(typeof(ChatResponseUpdate));

    // An entry that no longer reads (damaged, or written by another version) is a miss: the new
    // answer replaces it.
    private T? TryDeserialize<T>(string json, Func<string, T?> read) where T : class
    {
        try
        {
            return read(json);
        }
        catch (Exception error) when (error is JsonException or InvalidOperationException)
        {
            _logger.LogWarning("A cached answer could not be read and is asked for again. {Error}", error.Message);
            return null;
        }
    }

    private async Task<string?> TryReadAsync(string key, CancellationToken cancellationToken)
    {
        try
        {
            return await _cache.ReadAsync(key, cancellationToken).ConfigureAwait(false);
        }
        catch (ResponseCacheException error)
        {
            _logger.LogWarning("The response cache could not be read; asking the LLM instead. {Error}", error.Message);
            return null;
        }
    }

    private async Task TryWriteAsync(string key, string json, CancellationToken cancellationToken)
    {
        try
        {
            await _cache.WriteAsync(key, json, cancellationToken).ConfigureAwait(false);
        }
        catch (ResponseCacheException error)
        {
            _logger.LogWarning("An answer could not be stored in the response cache; the run keeps it. {Error}", error.Message);
        }
    }

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
