using System.Collections.Concurrent;
using System.Net;
using Microsoft.Extensions.AI;

namespace Distil.Testing;

/// <summary>
/// An <see cref="IChatClient"/> that answers by rules instead of a model, and records every
/// request, for testing parsers, task wiring and retries without a network or a GPU. Rules are
/// tried in the order they were added; the first that matches answers. A rule may throw to
/// simulate a failed call; <see cref="Delay"/> makes every answer wait.
/// </summary>
/// <example>
/// <code>
/// var llm = new ScriptedChatClient()
///     .WhenUserTextContains("Dune", "{\"summary\":\"sand\",\"word_count\":1}")
///     .OnCall(3, ScriptedChatClient.Throttled)
///     .Otherwise(request => $"{{\"summary\":\"call {request.CallNumber}\",\"word_count\":3}}");
/// var task = new Summary { Llm = llm };
/// </code>
/// </example>
public sealed class ScriptedChatClient : IChatClient
{
    private readonly List<(Func<ScriptedRequest, bool> Matches, Func<ScriptedRequest, ChatResponse> Reply)> _rules = [];
    private readonly ConcurrentQueue<ScriptedRequest> _requests = new();
    private int _calls;
    private readonly InFlightGauge _gauge = new();

    /// <summary>Creates a client with no rules yet: add them with <see cref="When(Func{ScriptedRequest, bool}, string)"/> and the like.</summary>
    /// <param name="modelId">The model name the client reports in its metadata and responses.</param>
    public ScriptedChatClient(string modelId = "scripted-model") => ModelId = modelId;

    /// <summary>Creates a client whose every answer comes from <paramref name="script"/>; it may throw to simulate a failed call.</summary>
    /// <param name="script">Called once per request, with the request and its 0-based call number.</param>
    /// <param name="modelId">The model name the client reports in its metadata and responses.</param>
    public ScriptedChatClient(Func<ScriptedRequest, ChatResponse> script, string modelId = "scripted-model")
        : this(modelId)
    {
        ArgumentNullException.ThrowIfNull(script);
        Otherwise(script);
    }

    /// <summary>Creates a client that gives the answers in order, one per request, and fails when they run out.</summary>
    public static ScriptedChatClient FromAnswers(params string[] answers) =>
        new(request => request.CallNumber < answers.Length
            ? Answer(answers[request.CallNumber])
            : throw new InvalidOperationException($"The script has {answers.Length} answers; request {request.CallNumber} has none."));

    /// <summary>The model name the client reports.</summary>
    public string ModelId { get; }

    /// <summary>How long every answer waits before it is given (default none); cancellation ends the wait.</summary>
    public TimeSpan Delay { get; set; }

    /// <summary>Every request received, in the order they arrived.</summary>
    public IReadOnlyList<ScriptedRequest> Requests => _requests.ToArray();

    /// <summary>The most requests that were waiting for an answer at one moment (useful with <see cref="Delay"/>).</summary>
    public int PeakInFlight => _gauge.Peak;

    /// <summary>
    /// The time-weighted mean of requests in flight, from the first request to the last answer:
    /// how busy a task kept the client. A peak says a limit was reached once; the mean says it was
    /// kept (a batch barrier reaches the peak too, then drains).
    /// </summary>
    public double MeanInFlight => _gauge.Mean;

    /// <summary>How long each request waits before it is answered, by request (wins over <see cref="Delay"/>).</summary>
    public Func<ScriptedRequest, TimeSpan>? Latency { get; set; }

    /// <summary>Answers the requests that match <paramref name="condition"/> with <paramref name="reply"/>.</summary>
    public ScriptedChatClient When(Func<ScriptedRequest, bool> condition, Func<ScriptedRequest, ChatResponse> reply)
    {
        ArgumentNullException.ThrowIfNull(condition);
        ArgumentNullException.ThrowIfNull(reply);
        _rules.Add((condition, reply));
        return this;
    }

    /// <summary>
    /// Answers the requests that match <paramref name="condition"/> with the text
    /// <paramref name="answer"/>, reporting token usage (the words of the prompt and of the answer).
    /// </summary>
    public ScriptedChatClient When(Func<ScriptedRequest, bool> condition, string answer)
    {
        ArgumentNullException.ThrowIfNull(answer);
        return When(condition, request => AnswerWithUsage(request, answer));
    }

    /// <summary>Answers the requests whose last user message contains <paramref name="text"/>.</summary>
    public ScriptedChatClient WhenUserTextContains(string text, string answer) =>
        When(request => request.UserText.Contains(text, StringComparison.Ordinal), answer);

    /// <summary>Answers the request with 0-based number <paramref name="callNumber"/> with <paramref name="reply"/>.</summary>
    public ScriptedChatClient OnCall(int callNumber, Func<ScriptedRequest, ChatResponse> reply) =>
        When(request => request.CallNumber == callNumber, reply);

    /// <summary>Answers every request no earlier rule matched with <paramref name="reply"/>.</summary>
    public ScriptedChatClient Otherwise(Func<ScriptedRequest, ChatResponse> reply) => When(_ => true, reply);

    /// <summary>Answers every request no earlier rule matched with the text <paramref name="answer"/> gives, with token usage.</summary>
    public ScriptedChatClient Otherwise(Func<ScriptedRequest, string> answer)
    {
        ArgumentNullException.ThrowIfNull(answer);
        return When(_ => true, request => AnswerWithUsage(request, answer(request)));
    }

    /// <summary>A response holding <paramref name="text"/> and, when given, token usage.</summary>
    public static ChatResponse Answer(string text, long? inputTokens = null, long? outputTokens = null) =>
        new(new ChatMessage(ChatRole.Assistant, text))
        {
            Usage = inputTokens is null && outputTokens is null
                ? null
                : new UsageDetails { InputTokenCount = inputTokens, OutputTokenCount = outputTokens },
        };

    /// <summary>A reply that fails the way a rate-limited service does: an HTTP 429, which Distil's retries treat as transient.</summary>
    public static ChatResponse Throttled(ScriptedRequest request) =>
        throw new HttpRequestException("Response status code does not indicate success: 429 (Too Many Requests).", null, HttpStatusCode.TooManyRequests);

    /// <summary>A reply that fails with an HTTP 500, which Distil's retries treat as transient.</summary>
    public static ChatResponse ServerError(ScriptedRequest request) =>
        throw new HttpRequestException("Response status code does not indicate success: 500 (Internal Server Error).", null, HttpStatusCode.InternalServerError);

    /// <inheritdoc/>
    public async Task<ChatResponse> GetResponseAsync(
        IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(messages);
        cancellationToken.ThrowIfCancellationRequested();
        var request = new ScriptedRequest(messages.ToList(), options, Interlocked.Increment(ref _calls) - 1);
        _requests.Enqueue(request);
        _gauge.Arrive();
        try
        {
            var delay = Latency?.Invoke(request) ?? Delay;
            if (delay > TimeSpan.Zero) await Task.Delay(delay, cancellationToken).ConfigureAwait(false);
            var rule = _rules.FirstOrDefault(r => r.Matches(request));
            if (rule.Reply is null)
            {
                throw new InvalidOperationException(
                    $"No rule of the scripted client answers request {request.CallNumber} (user text: \"{request.UserText}\"). Add one, or an Otherwise rule.");
            }
            var response = rule.Reply(request);
            response.ModelId ??= ModelId;
            return response;
        }
        finally
        {
            _gauge.Depart();
        }
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

    // A stand-in for a tokenizer: stable, and grows with the text.
    private static ChatResponse AnswerWithUsage(ScriptedRequest request, string text) =>
        Answer(text, CountWords(string.Join("\n", request.Messages.Select(m => m.Text))), CountWords(text));

    private static long CountWords(string text) =>
        text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries).Length;

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
