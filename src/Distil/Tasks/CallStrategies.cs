using Microsoft.Extensions.AI;

namespace Distil;

/// <summary>One LLM call of a generation: which row and generation it belongs to, and what it asks.</summary>
/// <param name="RowKey">The row's stable key in the run (a pipeline's row key, or the row's index).</param>
/// <param name="RowIndex">The row's 0-based index in the run.</param>
/// <param name="Generation">The generation (below <c>NumGenerations</c>).</param>
/// <param name="Call">The 0-based number of this call within the generation.</param>
/// <param name="Messages">The chat to send.</param>
/// <param name="Options">The options to send it with.</param>
internal readonly record struct CallRequest(
    string RowKey, long RowIndex, int Generation, int Call, IReadOnlyList<ChatMessage> Messages, ChatOptions Options)
{
    /// <summary>
    /// How many earlier calls of this generation sent the very same messages and options (0 for
    /// almost every call): a re-ask of an identical conversation is a new request for a new answer,
    /// so the run's answers keep it apart (<see cref="ResponseCachingChatClient.AnswerKey"/>).
    /// </summary>
    public int Repeat { get; init; }

    /// <summary>The custom id of this call in an offline batch (the generation's first call, or its Nth re-ask).</summary>
    public string CustomId => LlmTask.BatchCustomId(RowKey, Generation, Call);
}

/// <summary>
/// How the calls of a task run are sent: online (<see cref="OnlineCalls"/>), recorded for an
/// offline batch (<see cref="RecordedCalls"/>) or answered from a finished batch
/// (<see cref="ReplayedCalls"/>). The task run, and the task's own <c>GenerateAsync</c>, are the
/// same in all three.
/// </summary>
internal abstract class CallStrategy
{
    /// <summary>Sends one call and returns its answer.</summary>
    /// <exception cref="LlmCallException">The call failed for good; the run imputes the generation as null.</exception>
    public abstract Task<ChatResponse> SendAsync(CallRequest request, CancellationToken cancellationToken);

    /// <summary>
    /// How many times a generation's answer that does not fit may be asked again through this
    /// strategy, for a task that allows <paramref name="configured"/> (its <c>Reasks</c>).
    /// </summary>
    public virtual int ReaskLimit(int configured) => configured;
}

/// <summary>
/// Sends calls to the LLM now: each waits for the run's gate (closed while the run store cannot
/// be written, so nothing more is paid for that could not be kept), then for one of
/// <c>MaxConcurrency</c> slots, and goes through the client's own middleware (cache, retries, rate
/// limits). Counts calls, tokens and calls in flight on the run's metrics.
/// </summary>
internal sealed class OnlineCalls(IChatClient llm, int maxConcurrency, RunMetrics metrics, string step, CallGate? gate = null) : CallStrategy
{
    private readonly SemaphoreSlim _slots = new(maxConcurrency, maxConcurrency);

    public override async Task<ChatResponse> SendAsync(CallRequest request, CancellationToken cancellationToken)
    {
        if (gate is not null) await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        await _slots.WaitAsync(cancellationToken).ConfigureAwait(false);
        metrics.CallStarted(step);
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        CallScope.Frame? scope = null;
        try
        {
            // Retries and cache hits inside the client are this run's and this step's; the run's
            // answers are kept under the row that asked (see RunAnswers).
            scope = CallScope.Enter(metrics, step, request.RowKey, request.Repeat);
            var response = await llm.GetResponseAsync(request.Messages, request.Options, cancellationToken).ConfigureAwait(false);
            // Rule: an answer an earlier run paid for is a call of this run, but costs no tokens.
            if (scope.Reused) metrics.AnswerReused(step);
            else metrics.CallAnswered(step, response.Usage?.InputTokenCount, response.Usage?.OutputTokenCount);
            return response;
        }
        catch (Exception error) when (!cancellationToken.IsCancellationRequested)
        {
            metrics.CallFailed(step);
            throw new LlmCallException(error);
        }
        finally
        {
            // A reused answer took no service time: the latencies are those of calls sent.
            if (scope is not { Reused: true }) metrics.CallTook(step, System.Diagnostics.Stopwatch.GetElapsedTime(started));
            metrics.CallEnded(step);
            _slots.Release();
        }
    }
}

/// <summary>
/// Holds new LLM calls back while it is closed: a run whose store cannot be written sends nothing
/// it could not keep. Calls already sent finish; their answers wait in memory.
/// </summary>
internal sealed class CallGate
{
    private volatile TaskCompletionSource _open = Opened();

    /// <summary>True while calls may go out.</summary>
    public bool IsOpen => _open.Task.IsCompleted;

    /// <summary>Completes at once while open; otherwise when <see cref="Open"/> is called.</summary>
    public Task WaitAsync(CancellationToken cancellationToken)
    {
        var open = _open.Task;
        return open.IsCompleted ? Task.CompletedTask : open.WaitAsync(cancellationToken);
    }

    public void Close()
    {
        if (_open.Task.IsCompleted) _open = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    public void Open() => _open.TrySetResult();

    private static TaskCompletionSource Opened()
    {
        var open = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        open.SetResult();
        return open;
    }
}
