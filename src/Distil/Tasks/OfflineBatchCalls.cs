using System.Collections.Concurrent;
using Microsoft.Extensions.AI;

namespace Distil;

// Offline batches: the same task run records its requests, then replays the batch's answers.

/// <summary>
/// Records each generation's request for an offline batch instead of sending it. The call is
/// answered at once with an empty placeholder, so the task's code runs on as it would online
/// (no exception passes through it) and what it makes of the placeholder is discarded; the real
/// answer comes from the batch, replayed through the same code by <see cref="ReplayedCalls"/>.
/// </summary>
internal sealed class RecordedCalls(string task) : CallStrategy
{
    private readonly List<OfflineBatchRequest> _requests = [];
    private readonly ConcurrentDictionary<string, byte> _repeated = new(StringComparer.Ordinal);

    /// <summary>The requests recorded so far, in the order they were made.</summary>
    public IReadOnlyList<OfflineBatchRequest> Requests
    {
        get
        {
            lock (_requests) return [.. _requests];
        }
    }

    public override Task<ChatResponse> SendAsync(CallRequest request, CancellationToken cancellationToken)
    {
        if (request.Call == 0)
        {
            lock (_requests) _requests.Add(new OfflineBatchRequest(request.CustomId, request.Messages, request.Options));
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

/// <summary>Answers each generation's call from the results of finished offline batches, by custom id.</summary>
internal sealed class ReplayedCalls(string task, IReadOnlyDictionary<string, OfflineBatchResult> answers, RunMetrics metrics, string step) : CallStrategy
{
    public override Task<ChatResponse> SendAsync(CallRequest request, CancellationToken cancellationToken)
    {
        if (request.Call > 0)
        {
            throw new InvalidOperationException($"Task '{task}' made a second LLM call for one generation (request '{request.CustomId}'); it cannot run as an offline batch.");
        }
        var answer = answers.TryGetValue(request.CustomId, out var found) ? found : null;
        if (answer is not { Succeeded: true })
        {
            metrics.CallFailed(step);
            throw new LlmCallException(new OfflineBatchException(answer?.Error ?? "no answer in the batch results"));
        }
        metrics.CallAnswered(step, answer.InputTokens, answer.OutputTokens);
        return Task.FromResult(new ChatResponse(new ChatMessage(ChatRole.Assistant, answer.Text))
        {
            ModelId = answer.ModelId,
            Usage = new UsageDetails { InputTokenCount = answer.InputTokens, OutputTokenCount = answer.OutputTokens },
        });
    }
}
