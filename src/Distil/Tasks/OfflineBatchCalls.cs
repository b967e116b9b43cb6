using System.Collections.Concurrent;
using Microsoft.Extensions.AI;

namespace Distil;

// Offline batches: the same task run records its requests, then replays the batch's answers.

/// <summary>
/// Records each generation's request of one batch round instead of sending it. The call is
/// answered at once with an empty placeholder, so the task's code runs on as it would online
/// (no exception passes through it) and what it makes of the placeholder is discarded; the real
/// answer comes from the batch, replayed through the same code by <see cref="ReplayedCalls"/>.
/// </summary>
/// <remarks>
/// Round 0 records each generation's first call. Round N (N re-asks allowed) answers calls 0 to
/// N-1 from the batches before it, so the run's own re-ask loop reads those answers and builds
/// the re-ask conversation exactly as online; the call it makes next, the Nth re-ask of a
/// generation whose last answer does not fit, is what this round records.
/// </remarks>
internal sealed class RecordedCalls(string task, int round = 0, IReadOnlyDictionary<string, OfflineBatchResult>? answers = null) : CallStrategy
{
    private readonly List<(OfflineBatchRequest Request, string RowKey, int Repeat)> _requests = [];
    private readonly ConcurrentDictionary<string, byte> _repeated = new(StringComparer.Ordinal);

    /// <summary>The batch round this records: 0 for first calls, N for the Nth re-asks.</summary>
    public int Round => round;

    /// <summary>The requests recorded so far, in the order they were made.</summary>
    public IReadOnlyList<OfflineBatchRequest> Requests
    {
        get
        {
            lock (_requests) return [.. _requests.Select(r => r.Request)];
        }
    }

    /// <summary>The requests recorded so far, each with the key of the row that made it.</summary>
    public IReadOnlyList<(OfflineBatchRequest Request, string RowKey, int Repeat)> RequestsOfRows
    {
        get
        {
            lock (_requests) return [.. _requests];
        }
    }

    /// <summary>How many rows the recorded requests belong to.</summary>
    public int RowCount
    {
        get
        {
            lock (_requests) return _requests.Select(r => r.RowKey).Distinct(StringComparer.Ordinal).Count();
        }
    }

    // Rule: a recording round re-asks up to its own round; the re-ask it records is the last call of the generation.
    public override int ReaskLimit(int configured) => Math.Min(round, configured);

    public override Task<ChatResponse> SendAsync(CallRequest request, CancellationToken cancellationToken)
    {
        if (request.Call < round)
        {
            return Task.FromResult(BatchAnswers.Response(answers?.GetValueOrDefault(request.CustomId)));
        }
        if (request.Call == round)
        {
            lock (_requests) _requests.Add((new OfflineBatchRequest(request.CustomId, request.Messages, request.Options), request.RowKey, request.Repeat));
        }
        else
        {
            _repeated.TryAdd(request.CustomId, 0);
        }
        return Task.FromResult(new ChatResponse(new ChatMessage(ChatRole.Assistant, string.Empty)));
    }

    /// <summary>Throws when a generation of the row made more than one call: its later calls would depend on answers a batch gives only later.</summary>
    public void CheckOneCallPerGeneration(string rowKey)
    {
        foreach (var customId in _repeated.Keys)
        {
            if (customId.StartsWith(rowKey + ":", StringComparison.Ordinal))
            {
                throw new InvalidOperationException(
                    $"Task '{task}' made a second LLM call for one generation (request '{customId}'); an offline batch sends one request per generation. " +
                    "Run the task online, or set MakesDependentCalls so that it is refused before any batch is sent.");
            }
        }
    }
}

/// <summary>
/// Answers each call from the results of finished offline batches, by custom id: a generation's
/// first call, and its re-asks (each sent in a batch of its own round). The custom ids in
/// <paramref name="reused"/> were answered from the run directory's answers, sent in no batch:
/// they are counted as reused, not as calls.
/// </summary>
internal sealed class ReplayedCalls(IReadOnlyDictionary<string, OfflineBatchResult> answers, RunMetrics metrics, string step, IReadOnlySet<string>? reused = null) : CallStrategy
{
    public override Task<ChatResponse> SendAsync(CallRequest request, CancellationToken cancellationToken)
    {
        var answer = answers.GetValueOrDefault(request.CustomId);
        if (answer is { Succeeded: true } && reused?.Contains(request.CustomId) == true) metrics.AnswerReused(step);
        else if (answer is { Succeeded: true }) metrics.CallAnswered(step, answer.InputTokens, answer.OutputTokens);
        else metrics.CallFailed(step);
        return Task.FromResult(BatchAnswers.Response(answer));
    }
}

/// <summary>A batch result as the answer to a call.</summary>
internal static class BatchAnswers
{
    /// <summary>The answer, as an online call would return it.</summary>
    /// <exception cref="LlmCallException">The request has no answer: the batches failed it, or it is in none.</exception>
    public static ChatResponse Response(OfflineBatchResult? answer)
    {
        if (answer is not { Succeeded: true })
        {
            throw new LlmCallException(new OfflineBatchException(answer?.Error ?? "no answer in the batch results"));
        }
        return new ChatResponse(new ChatMessage(ChatRole.Assistant, answer.Text))
        {
            ModelId = answer.ModelId,
            Usage = new UsageDetails { InputTokenCount = answer.InputTokens, OutputTokenCount = answer.OutputTokens },
        };
    }
}
