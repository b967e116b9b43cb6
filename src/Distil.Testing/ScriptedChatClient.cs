using System.Collections.Concurrent;
using Microsoft.Extensions.AI;

namespace Distil.Testing;

/// <summary>
/// An <see cref="IChatClient"/> that answers from a script instead of a model, and records every
/// request, for testing tasks without a network or a GPU.
/// </summary>
/// <example>
/// <code>
/// var llm = new ScriptedChatClient(request => ScriptedChatClient.Answer("{\"summary\":\"x\"}", inputTokens: 12, outputTokens: 4));
/// var task = new Summary { Llm = llm };
/// </code>
/// </example>
public sealed class ScriptedChatClient : IChatClient
{
    private readonly Func<ScriptedRequest, ChatResponse> _script;
    private readonly ConcurrentQueue<ScriptedRequest> _requests = new();
    private int _calls;

    /// <summary>Creates a client whose answers come from <paramref name="script"/>; it may throw to simulate a failed call.</summary>
    /// <param name="script">Called once per request, with the request and its 0-based call number.</param>
    /// <param name="modelId">The model name the client reports in its metadata and responses.</param>
    public ScriptedChatClient(Func<ScriptedRequest, ChatResponse> script, string modelId = "scripted-model")
    {
        _script = script ?? throw new ArgumentNullException(nameof(script));
        ModelId = modelId;
    }

    /// <summary>Creates a client that gives the answers in order, one per request, and fails when they run out.</summary>
    public static ScriptedChatClient FromAnswers(params string[] answers) =>
        new(request => request.CallNumber < answers.Length
            ? Answer(answers[request.CallNumber])
            : throw new InvalidOperationException($"The script has {answers.Length} answers; request {request.CallNumber} has none."));

    /// <summary>The model name the client reports.</summary>
    public string ModelId { get; }

    /// <summary>Every request received, in the order they arrived.</summary>
    public IReadOnlyList<ScriptedRequest> Requests => _requests.ToArray();

    /// <summary>A response holding <paramref name="text"/> and, when given, token usage.</summary>
    public static ChatResponse Answer(string text, long? inputTokens = null, long? outputTokens = null) =>
        new(new ChatMessage(ChatRole.Assistant, text))
        {
            Usage = inputTokens is null && outputTokens is null
                ? null
                : new UsageDetails { InputTokenCount = inputTokens, OutputTokenCount = outputTokens },
        };

    /// <inheritdoc/>
    public Task<ChatResponse> GetResponseAsync(
        IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var request = new ScriptedRequest(messages.ToList(), options, Interlocked.Increment(ref _calls) - 1);
        _requests.Enqueue(request);
        var response = _script(request);
        response.ModelId ??= ModelId;
        return Task.FromResult(response);
    }

    /// <inheritdoc/>
    public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(
        IEnumerable<ChatMessage> messages, ChatOptions? options = null,
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var response = await GetResponseAsync(messages, options, cancellationToken).ConfigureAwait(false);
        foreach (var update in response.ToChatResponseUpdates()) yield return update;
    }

    /// <inheritdoc/>
    public object? GetService(Type serviceType, object? serviceKey = null) =>
        serviceKey is not null ? null
        : serviceType == typeof(ChatClientMetadata) ? new ChatClientMetadata("scripted", defaultModelId: ModelId)
        : serviceType.IsInstanceOfType(this) ? this
        : null;

    /// <inheritdoc/>
    public void Dispose()
    {
    }
}

/// <summary>A request a <see cref="ScriptedChatClient"/> received.</summary>
/// <param name="Messages">The chat sent.</param>
/// <param name="Options">The options sent, if any.</param>
/// <param name="CallNumber">0 for the first request, then 1, 2…</param>
public sealed record ScriptedRequest(IReadOnlyList<ChatMessage> Messages, ChatOptions? Options, int CallNumber)
{
    /// <summary>The text of the last user message.</summary>
    public string UserText => Messages.LastOrDefault(m => m.Role == ChatRole.User)?.Text ?? "";
}
