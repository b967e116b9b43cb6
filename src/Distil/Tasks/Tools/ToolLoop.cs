using System.Diagnostics;
using System.Text.Json;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;

namespace Distil;

/// <summary>
/// Runs the tool calls of one assistant turn for a task run: each against the task's
/// <see cref="AIFunction"/> of that name, under <see cref="ToolOptions.ToolTimeout"/>, all at once
/// or one by one (<see cref="ToolOptions.ParallelToolCalls"/>). A call that throws, hangs, or names
/// no tool gives an error outcome the model is told of; nothing a tool does ends the run (only
/// the run's own cancellation). With a run directory, each finished call is journaled and a call
/// found in the journal is not run again.
/// </summary>
/// <remarks>
/// Written here rather than taken from Microsoft.Extensions.AI's <c>FunctionInvokingChatClient</c>:
/// that client hides the model turns inside one call, and a run needs each turn answered from (and
/// kept in) the run's answers and each tool call journaled apart.
/// </remarks>
internal sealed class ToolLoop
{
    private readonly Dictionary<string, AIFunction> _functions;
    private readonly ToolOptions _options;
    private readonly ToolCallJournal? _journal;
    private readonly RunMetrics _metrics;
    private readonly string _step;
    private readonly LlmTask _task;

    public ToolLoop(LlmTask task, IChatClient llm, RunMetrics metrics, string step)
    {
        _task = task;
        _options = task.ToolOptions;
        _metrics = metrics;
        _step = step;
        _journal = llm.GetService<ToolCallJournal>();
        _functions = new Dictionary<string, AIFunction>(StringComparer.Ordinal);
        foreach (var function in task.Tools.OfType<AIFunction>())
        {
            // Two tools of one name: the model could not say which it means.
            if (!_functions.TryAdd(function.Name, function))
            {
                throw new InvalidOperationException($"Task '{task.Name}' has two tools named '{function.Name}'. Give each tool a name of its own.");
            }
        }
    }

    /// <summary>How many rounds of tool calls one conversation may make.</summary>
    public int MaxRounds => _options.MaxToolRounds;

    /// <summary>Runs <paramref name="calls"/> (one assistant turn's) and returns their outcomes in the same order.</summary>
    public async Task<ToolCallOutcome[]> RunAsync(IReadOnlyList<FunctionCallContent> calls, ToolCallPlace place, CancellationToken cancellationToken)
    {
        var outcomes = new ToolCallOutcome[calls.Count];
        if (_options.ParallelToolCalls && calls.Count > 1)
        {
            await Task.WhenAll(calls.Select(async (call, index) =>
                outcomes[index] = await RunOneAsync(call, index, place, cancellationToken).ConfigureAwait(false))).ConfigureAwait(false);
        }
        else
        {
            for (var index = 0; index < calls.Count; index++)
            {
                outcomes[index] = await RunOneAsync(calls[index], index, place, cancellationToken).ConfigureAwait(false);
            }
        }
        return outcomes;
    }

    private async Task<ToolCallOutcome> RunOneAsync(FunctionCallContent call, int index, ToolCallPlace place, CancellationToken cancellationToken)
    {
        var arguments = ToolCallJournal.ArgumentsText(call.Arguments);
        var key = _journal is null ? null : ToolCallJournal.Key(place, index, call.Name, arguments);
        // Rule: a tool call the run directory has finished is not run again; its outcome is read back.
        if (key is not null && await _journal!.FindAsync(key, cancellationToken).ConfigureAwait(false) is { } kept)
        {
            _metrics.ToolCalled(_step, call.Name, TimeSpan.Zero, kept.Error is not null, reused: true);
            return kept;
        }
        var outcome = await InvokeAsync(call, cancellationToken).ConfigureAwait(false);
        _metrics.ToolCalled(_step, call.Name, TimeSpan.FromMilliseconds(outcome.ElapsedMs), outcome.Error is not null, reused: false);
        if (outcome.Error is not null)
        {
            _task.Logger.LogWarning("Task '{Task}': tool '{Tool}' failed for row {Row} ({Error}); the model is told so.", _task.Name, call.Name, place.RowKey, outcome.Error);
        }
        if (key is not null) await _journal!.KeepAsync(key, outcome, cancellationToken).ConfigureAwait(false);
        return outcome;
    }

    // Rule: a tool that throws, hangs past its timeout or does not exist gives an error the model
    // sees, never a failed run; only the run's own cancellation stops it.
    private async Task<ToolCallOutcome> InvokeAsync(FunctionCallContent call, CancellationToken cancellationToken)
    {
        if (!_functions.TryGetValue(call.Name, out var function))
        {
            var known = _functions.Count == 0 ? "none" : string.Join(", ", _functions.Keys.Order(StringComparer.Ordinal));
            return new ToolCallOutcome(null, $"There is no tool named '{call.Name}'. The tools are: {known}.", 0);
        }
        var started = Stopwatch.GetTimestamp();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_options.ToolTimeout);
        // On the thread pool: a tool that blocks before its first await must not hold the row's flow,
        // and the timeout must be able to give up on it.
        var invocation = Task.Run(() => function.InvokeAsync(new AIFunctionArguments(call.Arguments), timeout.Token).AsTask(), CancellationToken.None);
        try
        {
            var finished = await Task.WhenAny(invocation, Task.Delay(Timeout.InfiniteTimeSpan, timeout.Token)).ConfigureAwait(false);
            if (finished != invocation)
            {
                cancellationToken.ThrowIfCancellationRequested();
                // A tool that ignores its token runs on; its late end is observed, never rethrown.
                _ = invocation.ContinueWith(static t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
                return new ToolCallOutcome(null, $"The tool '{call.Name}' did not answer within {_options.ToolTimeout.TotalSeconds:0.###} s and was cancelled.", Elapsed(started));
            }
            var result = await invocation.ConfigureAwait(false);
            return new ToolCallOutcome(ResultText(result), null, Elapsed(started));
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested)
        {
            return new ToolCallOutcome(null, $"The tool '{call.Name}' did not answer within {_options.ToolTimeout.TotalSeconds:0.###} s and was cancelled.", Elapsed(started));
        }
        catch (Exception error)
        {
            // A bad argument speaks for itself (and names the argument); any other failure says what kind it was.
            var what = error is ArgumentException ? ErrorText.Of(error) : $"{error.GetType().Name}: {ErrorText.Of(error)}";
            return new ToolCallOutcome(null, $"The tool '{call.Name}' failed: {what}", Elapsed(started));
        }
    }

    private static long Elapsed(long started) => (long)Stopwatch.GetElapsedTime(started).TotalMilliseconds;

    /// <summary>A tool's result as the text the model is given: a string as it is, anything else as JSON.</summary>
    internal static string? ResultText(object? result) => result switch
    {
        null => null,
        string text => text,
        JsonElement { ValueKind: JsonValueKind.String } element => element.GetString(),
        JsonElement element => element.GetRawText(),
        System.Text.Json.Nodes.JsonNode node => node.ToJsonString(),
        IFormattable formattable => formattable.ToString(null, System.Globalization.CultureInfo.InvariantCulture),
        _ => JsonOrText(result),
    };

    // A value of a type with a JSON contract as JSON; any other (a user's record without one, under
    // NativeAOT) as its ToString(): the tool ran, so its result is not turned into an error.
    private static string? JsonOrText(object result)
    {
        try
        {
            return JsonSerializer.Serialize(result, ToolCallJournal.Compact.GetTypeInfo(result.GetType()));
        }
        catch (Exception error) when (error is NotSupportedException or InvalidOperationException)
        {
            return result.ToString();
        }
    }
}
