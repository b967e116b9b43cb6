using Microsoft.Extensions.AI;

namespace Distil;

/// <summary>Live counts of a task's LLM calls across its runs, read by pipeline progress displays.</summary>
internal sealed class TaskActivity
{
    private long _inFlight;
    private long _answered;
    private long _failed;
    private long _inputTokens;
    private long _outputTokens;

    public long InFlight => Interlocked.Read(ref _inFlight);

    public long Answered => Interlocked.Read(ref _answered);

    public long FailedCalls => Interlocked.Read(ref _failed);

    public long InputTokens => Interlocked.Read(ref _inputTokens);

    public long OutputTokens => Interlocked.Read(ref _outputTokens);

    public void CallStarted() => Interlocked.Increment(ref _inFlight);

    public void CallEnded() => Interlocked.Decrement(ref _inFlight);

    public void CallAnswered(UsageDetails? usage)
    {
        Interlocked.Increment(ref _answered);
        Interlocked.Add(ref _inputTokens, usage?.InputTokenCount ?? 0);
        Interlocked.Add(ref _outputTokens, usage?.OutputTokenCount ?? 0);
    }

    public void Failed() => Interlocked.Increment(ref _failed);
}
