using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;

namespace Distil;

/// <summary>
/// Counts what one run of a task did, from requests running in parallel, and logs it as one line
/// when the run ends: a run of thousands of rows should end with a verdict, not a scroll of warnings.
/// </summary>
internal sealed class RunSummary
{
    private long _rows;
    private long _answered;
    private long _unparsed;
    private long _failed;
    private long _inputTokens;
    private long _outputTokens;
    private string? _firstFailure;

    public void RowRead() => Interlocked.Increment(ref _rows);

    public void Answered(UsageDetails? usage, bool parsed)
    {
        Interlocked.Increment(ref _answered);
        if (!parsed) Interlocked.Increment(ref _unparsed);
        Interlocked.Add(ref _inputTokens, usage?.InputTokenCount ?? 0);
        Interlocked.Add(ref _outputTokens, usage?.OutputTokenCount ?? 0);
    }

    public void Failed(Exception error)
    {
        Interlocked.Increment(ref _failed);
        // Only the first is kept: in an outage every call fails, and formatting each would be waste.
        if (Volatile.Read(ref _firstFailure) is null)
        {
            Interlocked.CompareExchange(ref _firstFailure, $"{error.GetType().Name}: {FirstLine(error.Message)}", null);
        }
    }

    public void Log(ILogger logger, string task)
    {
        if (_failed == 0 && _unparsed == 0)
        {
            logger.LogInformation(
                "Task '{Task}' finished: {Rows} rows, {Answered} answers, all parsed; {InputTokens} input and {OutputTokens} output tokens.",
                task, _rows, _answered, _inputTokens, _outputTokens);
            return;
        }
        logger.LogWarning(
            "Task '{Task}' finished: {Rows} rows, {Answered} answers ({Unparsed} unparsed), {Failed} failed LLM calls imputed as null (first: {FirstFailure}); {InputTokens} input and {OutputTokens} output tokens.",
            task, _rows, _answered, _unparsed, _failed, _firstFailure ?? "none", _inputTokens, _outputTokens);
    }

    private static string FirstLine(string message)
    {
        var end = message.IndexOfAny(['\r', '\n']);
        return end < 0 ? message : message[..end];
    }
}
