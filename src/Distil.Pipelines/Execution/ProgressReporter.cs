using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;

namespace Distil.Pipelines;

/// <summary>
/// Shows what a run is doing: per step, rows in and out, rows replayed from the store, and for
/// tasks the calls in flight, failures, retries and tokens. Hands the counts to the run's
/// <see cref="PipelineRunOptions.ProgressDisplay"/> (a live table from Distil.Console) when it is
/// chosen, else to a few log lines per step (<see cref="ProgressLog"/>).
/// </summary>
internal static class ProgressReporter
{
    /// <summary>The error of <see cref="ProgressMode.Live"/> without a display: names the package that has one.</summary>
    public static void CheckOptions(PipelineRunOptions options)
    {
        if (options.Progress == ProgressMode.Live && options.ProgressDisplay is null)
        {
            throw new InvalidOperationException(
                "PipelineRunOptions.Progress is ProgressMode.Live but no ProgressDisplay is set: reference the Distil.Console package and set " +
                "ProgressDisplay = ConsoleProgress.LiveTable() for the live table, or use ProgressMode.Log for log lines.");
        }
    }

    /// <summary>Starts the display the options choose; dispose the handle when the steps stop.</summary>
    public static IAsyncDisposable Start(Pipeline pipeline, PipelineRunOptions options, IReadOnlyList<StepCounters> steps, long? total)
    {
        var run = new PipelineProgressRun(pipeline.Name, total, () => Snapshot(steps, total));
        IPipelineProgress? display = options.Progress switch
        {
            ProgressMode.None => null,
            ProgressMode.Log => null,
            ProgressMode.Live => options.ProgressDisplay,
            _ => options.ProgressDisplay is { IsAvailable: true } chosen ? chosen : null,
        };
        if (display is not null) return display.Start(run);
        if (options.Progress == ProgressMode.None) return Stopped.Instance;
        return new LogProgress(pipeline.Logger, options.ProgressInterval, options.TimeProvider ?? TimeProvider.System).Start(run);
    }

    private static List<StepProgress> Snapshot(IReadOnlyList<StepCounters> steps, long? total) => steps.Select(counters =>
    {
        var calls = counters.Counts;
        var isTask = counters.Step is TaskNode;
        return new StepProgress(counters.Step.Name, isTask, counters.Read, counters.Written, counters.Replayed,
            isTask ? calls.InFlight : 0, isTask ? calls.FailedCalls : 0, isTask ? calls.Retries : 0,
            isTask ? calls.InputTokens : 0, isTask ? calls.OutputTokens : 0,
            counters.Step is GlobalNode ? null : total, counters.Done, ServersOf(counters.Step))
        {
            AnswersReused = isTask ? calls.AnswersReused : 0,
            ConcurrencyLimit = LimitOf(counters.Step)?.Limit,
            Refusals = LimitOf(counters.Step)?.Refusals ?? 0,
        };
    }).ToList();

    // The adaptive limit on the task's model, shared with the other steps on it; none when fixed.
    private static AdaptiveConcurrency? LimitOf(PipelineStep step) =>
        step is TaskNode { Task.Llm: { } llm } && llm.GetService<AdaptiveConcurrency>() is { IsAdaptive: true } limit ? limit : null;

    private static IReadOnlyList<ServerStatistics> ServersOf(PipelineStep step) =>
        step is TaskNode { Task.Llm: { } llm } && llm.GetService<LoadBalancingChatClient>() is { } balancer ? balancer.Servers : [];

    private sealed class Stopped : IAsyncDisposable
    {
        public static readonly Stopped Instance = new();

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}

/// <summary>The progress of a run nobody watches live: <see cref="ProgressLog"/>'s lines, on the pipeline's logger.</summary>
internal sealed class LogProgress(ILogger logger, TimeSpan interval, TimeProvider time) : IPipelineProgress
{
    public bool IsAvailable => true;

    public IAsyncDisposable Start(PipelineProgressRun run)
    {
        var stop = new CancellationTokenSource();
        var log = new ProgressLog(run.Pipeline, logger, interval, time);
        return new Loop(Task.Run(() => LogAsync(run, log, stop.Token)), stop);
    }

    // Wakes every tick for a finished step to be told promptly; ProgressLog decides which lines are due.
    private async Task LogAsync(PipelineProgressRun run, ProgressLog log, CancellationToken stop)
    {
        while (true)
        {
            try
            {
                await Task.Delay(log.Tick, time, stop).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                // One last look: the steps that finished since the last tick get their line.
                log.Observe(run.Snapshot());
                return;
            }
            log.Observe(run.Snapshot());
        }
    }

    private sealed class Loop(Task loop, CancellationTokenSource stop) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            await stop.CancelAsync().ConfigureAwait(false);
            try
            {
                await loop.ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
            }
            stop.Dispose();
        }
    }
}
