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
/// every new answer: in Distil's SQLite file (<c>ResponseCache</c> of the Distil.Pipelines package) or any
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

    // Part of every key of a run's answers (KeyedByRow): a key of their own, never one of the cache's.
    private const string AnswerKeyFormat = "distil-run-answer-v1";

    private readonly IDistributedCache _cache;
    private readonly ChatClientMetadata? _metadata;
    private readonly string _provider;
    private long _hits;
    private long _misses;

    /// <summary>Wraps <paramref name="innerClient"/> with <paramref name="cache"/>.</summary>
    public ResponseCachingChatClient(IChatClient innerClient, IDistributedCache cache, ILogger? logger = null)
        : base(innerClient)
    {
        _cache = cache ?? throw new ArgumentNullException(nameof(cache));
        Logger = logger ?? NullLogger.Instance;
        _metadata = innerClient.GetService<ChatClientMetadata>();
        _provider = ProviderIdentity(_metadata);
    }

    /// <summary>Receives warnings when the cache cannot be read or written.</summary>
    public ILogger Logger { get; set; }

    /// <summary>
    /// How long new answers are kept (absolute or sliding expiry); null, the default, keeps them
    /// until the cache is cleared. Answers paid for once are usually worth keeping.
    /// </summary>
    public DistributedCacheEntryOptions? EntryOptions { get; set; }

    /// <summary>
    /// Keeps the answers of a run directory (<c>RunAnswers</c> of Distil.Pipelines): keyed by
    /// <see cref="AnswerKey"/>, the request with the step and row that ask (from
    /// <see cref="CallScope"/>), so that two rows with the same prompt keep answers of their own;
    /// an answer found is counted as reused, not as a cache hit.
    /// </summary>
    internal bool KeyedByRow { get; init; }

    /// <summary>
    /// True when the cache held nothing as the run began (a new run directory): no read can find
    /// anything this run did not write, and this run asks each request of a row once, so reads are
    /// skipped (each counted as a miss).
    /// </summary>
    internal bool StartsEmpty { get; init; }

    /// <summary>Requests answered from the cache.</summary>
    public long Hits => Interlocked.Read(ref _hits);

    /// <summary>Requests that were not in the cache and went to the LLM.</summary>
    public long Misses => Interlocked.Read(ref _misses);

    /// <inheritdoc/>
    public override object? GetService(Type serviceType, object? serviceKey = null)
    {
        ArgumentNullException.ThrowIfNull(serviceType);
        // A run's answers journal the run's tool calls in the same file: a resumed run finds both.
        if (KeyedByRow && serviceKey is null && serviceType == typeof(ToolCallJournal)) return _journal ??= new ToolCallJournal(_cache, Logger);
        return base.GetService(serviceType, serviceKey);
    }

    private ToolCallJournal? _journal;

    /// <inheritdoc/>
    protected override string GetCacheKey(IEnumerable<ChatMessage> messages, ChatOptions? options, params ReadOnlySpan<object?> additionalValues)
    {
        // A run's answers leave out the base class's values (whether the call streams): a streamed
        // answer is stored under its own prefix, and the key stays the one AnswerKey gives.
        if (KeyedByRow) return AnswerKey(_metadata, messages, options, CallScope.Step ?? "", CallScope.RowKey ?? "", CallScope.Repeat);
        var tools = ToolsIdentity(options);
        var values = new object?[additionalValues.Length + (tools is null ? 4 : 5)];
        values[0] = KeyFormat;
        values[1] = _provider;
        values[2] = messages;
        values[3] = options;
        additionalValues.CopyTo(values.AsSpan(4));
        if (tools is not null) values[^1] = tools;
        return AIJsonUtilities.HashDataToString(values, AIJsonUtilities.DefaultOptions);
    }

    /// <summary>
    /// The key under which a run directory keeps the answer to one request of one row of one step:
    /// a hash of the key format, the provider's identity (name, endpoint, default model), the
    /// messages, the whole options (model, seed, temperature, response format, the generation index
    /// Distil adds for generations after the first), the step's name and the row's key. The call's
    /// number is not in it, nor the step's signature: a recomputed step finds the answer of every
    /// request it makes again. Two rows, or two steps, that send the very same request keep answers
    /// of their own (sampled answers stay independent, and which step answers first does not matter).
    /// </summary>
    /// <param name="provider">The metadata of the client the request goes to (<c>GetService&lt;ChatClientMetadata&gt;()</c>).</param>
    /// <param name="messages">The request's messages.</param>
    /// <param name="options">The request's options, as sent.</param>
    /// <param name="step">The name of the pipeline step that asks.</param>
    /// <param name="rowKey">The key of the row that asks (<c>RowKey.Text</c>).</param>
    /// <param name="repeat">
    /// How many earlier calls of the same generation sent the very same request (a re-ask of an
    /// identical conversation); 0, the usual case, adds nothing to the hash.
    /// </param>
    internal static string AnswerKey(ChatClientMetadata? provider, IEnumerable<ChatMessage> messages, ChatOptions? options, string step, string rowKey, int repeat = 0) =>
        (repeat, ToolsIdentity(options)) switch
        {
            (0, null) => AIJsonUtilities.HashDataToString([AnswerKeyFormat, ProviderIdentity(provider), messages, options, step, rowKey], AIJsonUtilities.DefaultOptions),
            (_, null) => AIJsonUtilities.HashDataToString([AnswerKeyFormat, ProviderIdentity(provider), messages, options, step, rowKey, repeat], AIJsonUtilities.DefaultOptions),
            (_, var tools) => AIJsonUtilities.HashDataToString([AnswerKeyFormat, ProviderIdentity(provider), messages, options, step, rowKey, repeat, tools], AIJsonUtilities.DefaultOptions),
        };

    /// <summary>
    /// The tools a request offers, as text (each one's name, description and schema), or null when
    /// it offers none. <see cref="ChatOptions.Tools"/> is not serialized with the options, yet the
    /// tools shape the answer: a request with other tools is another request. Null adds nothing to
    /// a key, so the keys of requests without tools are those they always were.
    /// </summary>
    internal static string? ToolsIdentity(ChatOptions? options)
    {
        if (options?.Tools is not { Count: > 0 } tools) return null;
        var text = new System.Text.StringBuilder();
        foreach (var tool in tools)
        {
            text.Append(tool.Name).Append('|').Append(tool.Description).Append('|');
            if (tool is AIFunctionDeclaration function) text.Append(function.JsonSchema.GetRawText());
            else text.Append(tool.GetType().FullName);
            text.Append('\n');
        }
        return text.ToString();
    }

    /// <inheritdoc/>
    protected override async Task<ChatResponse?> ReadCacheAsync(string key, CancellationToken cancellationToken)
    {
        var bytes = await TryReadAsync(key, cancellationToken).ConfigureAwait(false);
        var response = bytes is null ? null : TryDeserialize(bytes, static data => JsonSerializer.Deserialize(data, ResponseInfo));
        Interlocked.Increment(ref response is null ? ref _misses : ref _hits);
        if (response is not null) Found();
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
        if (updates is not null) Found();
        return updates;
    }

    /// <inheritdoc/>
    protected override Task WriteCacheStreamingAsync(string key, IReadOnlyList<ChatResponseUpdate> value, CancellationToken cancellationToken) =>
        TryWriteAsync("stream:" + key, System.Text.Encoding.UTF8.GetBytes(new JsonArray(value.Select(update => JsonSerializer.SerializeToNode(update, UpdateInfo)).ToArray()).ToJsonString()), cancellationToken);

    // A run's own answer is reused, not a hit of the user's cache: the two are counted apart.
    private void Found()
    {
        if (KeyedByRow) CallScope.AnswerReused();
        else CallScope.CacheHit();
    }

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
        if (StartsEmpty) return null;
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
