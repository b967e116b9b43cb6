using System.Diagnostics;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;

namespace Distil.Pipelines;

/// <summary>
/// Runs a validated pipeline: one loop per step, bounded channels along the edges, the run store
/// for committed rows, and a progress display. The first step that fails stops the others; what
/// was committed stays for the next run.
/// </summary>
internal sealed class PipelineRunner(Pipeline pipeline, PipelineRunOptions options)
{
    // Rows waiting on one edge: enough to keep a fast step ahead of a slow one, small enough that
    // memory does not grow with the dataset.
    private const int EdgeCapacity = 256;

    public async Task<PipelineResult> RunAsync(CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        var started = DateTimeOffset.UtcNow;
        using var span = DistilDiagnostics.Source.StartActivity("distil.pipeline");
        span?.SetTag("distil.pipeline", pipeline.Name);
        var (order, schemas) = await ValidateAsync(pipeline, options.Parameters, cancellationToken).ConfigureAwait(false);

        var runDirectory = pipeline.RunDirectoryPath;
        var store = RunStore.Open(runDirectory, pipeline.Logger);
        IReadOnlyDictionary<PipelineStep, long> resumed;
        IReadOnlyDictionary<PipelineStep, (RedoneRows Redone, RedoneRows Retried)> redo;
        try
        {
            resumed = PrepareStore(store, order);
            redo = FailedRowsToRetry(store, order);
        }
        catch
        {
            await store.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        // The run log counts each burst of task rows as the store commits it, so a killed run's calls are in the report too.
        using var log = RunLogWriter.Start(runDirectory, pipeline.Name, started, clock, order, schemas, pipeline.Logger);
        store.Journal = log;
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        store.AbandonRetriesOn(cancel.Token);
        var control = new RunControl(cancel.Token, options.GracefulStop, options.WaitForBatches, options.SourceRowLimit, options.Shard);
        // Every count of this run is recorded once, here, and read by the progress display and the result.
        using var metrics = new RunMetrics();
        var edges = order.SelectMany(s => s.Children.Select(c => (s, c))).Distinct()
            .ToDictionary(e => e, _ => Channel.CreateBounded<KeyedRow>(new BoundedChannelOptions(EdgeCapacity) { SingleReader = true, SingleWriter = true }));
        var runs = order.Select(step => new StepRun(
            step,
            step.Parents.Select(p => edges[(p, step)].Reader).ToArray(),
            step.Children.Select(c => edges[(step, c)].Writer).ToArray(),
            store,
            resumed.GetValueOrDefault(step) > 0,
            metrics,
            control,
            step.Parents.Count > 0 ? schemas[step.Parents[0]] : null,
            pipeline.Name)
        {
            Logger = pipeline.Logger,
            Redone = redo.TryGetValue(step, out var again) ? again.Redone : RedoneRows.None,
            Retried = redo.TryGetValue(step, out var own) ? own.Retried : RedoneRows.None,
        }).ToList();
        Exception? failure = null;
        ProgressReporter? progress = null;
        var stepTimes = new System.Collections.Concurrent.ConcurrentDictionary<PipelineStep, TimeSpan>();
        try
        {
            // Counting reads the sources once more: only worth it when an ETA is shown.
            var total = options.Progress == ProgressMode.None ? null : await CountRowsAsync(order, cancellationToken).ConfigureAwait(false);
            progress = ProgressReporter.Start(pipeline, options, runs.Select(r => r.Counters).ToList(), total);
            await Task.WhenAll(runs.Select(run => Task.Run(() => RunStepAsync(run), CancellationToken.None))).ConfigureAwait(false);
        }
        finally
        {
            if (progress is not null) await progress.StopAsync().ConfigureAwait(false);
            try
            {
                await store.DisposeAsync().ConfigureAwait(false);
            }
            catch (PipelineException error)
            {
                failure ??= error;
            }
            var outcome = failure is not null ? "failed" : cancellationToken.IsCancellationRequested || control.StoppedEarly ? "stopped" : "completed";
            log.End(clock.Elapsed, outcome, failure?.Message, order, metrics, stepTimes, schemas, pipeline.Name, started);
        }

        if (failure is not null) throw failure;
        cancellationToken.ThrowIfCancellationRequested();

        var completed = !control.StoppedEarly;
        pipeline.Logger.LogInformation(completed
                ? "Pipeline '{Pipeline}' finished in {Elapsed:0.0} s; run directory {RunDirectory}."
                : "Pipeline '{Pipeline}' stopped after {Elapsed:0.0} s before every row went through; run it again to finish. Run directory {RunDirectory}.",
            pipeline.Name, clock.Elapsed.TotalSeconds, runDirectory);
        var statistics = order.OfType<TaskNode>().ToDictionary(t => t.Name, t => TaskStatistics.From(metrics.For(t.Name)) with { Model = RunLog.ModelOf(t.Task) });
        span?.SetTag("distil.completed", completed);
        return new PipelineResult(runDirectory, completed, Datasets(order, store.Path, control), clock.Elapsed, statistics, options.UnreadableWarningShare);

        async Task RunStepAsync(StepRun run)
        {
            using var stepSpan = DistilDiagnostics.Source.StartActivity("distil.step");
            stepSpan?.SetTag(RunMetrics.StepTag, run.Step.Name);
            stepSpan?.SetTag("distil.step.kind", run.Step.Kind);
            var stepClock = Stopwatch.StartNew();
            try
            {
                await run.Step.RunAsync(run).ConfigureAwait(false);
                // A step may end before its inputs do (a join whose other side ended): drain them so the steps before it can finish.
                foreach (var input in run.Inputs)
                {
                    await foreach (var _ in input.ReadAllAsync(cancel.Token).ConfigureAwait(false)) { }
                }
                run.Counters.Done = true;
                stepTimes[run.Step] = stepClock.Elapsed;
                run.Complete();
            }
            catch (Exception error)
            {
                stepTimes[run.Step] = stepClock.Elapsed;
                // Cancellations caused by another step's failure are not the story; the first real error is.
                if (!(error is OperationCanceledException && cancel.IsCancellationRequested))
                {
                    Interlocked.CompareExchange(ref failure, Describe(run.Step, error), null);
                }
                stepSpan?.SetStatus(ActivityStatusCode.Error, error.GetType().Name);
                cancel.Cancel();
                run.Complete(error);
            }
        }
    }

    /// <summary>
    /// Everything checked before the first call: runtime parameters applied, the graph ordered, the
    /// sources' schemas read, every step's columns and types computed.
    /// </summary>
    public static async Task<(IReadOnlyList<PipelineStep> Order, IReadOnlyDictionary<PipelineStep, RowSchema?> Schemas)> ValidateAsync(
        Pipeline pipeline, RuntimeParameters? parameters, CancellationToken cancellationToken)
    {
        parameters?.ApplyTo(pipeline);
        var order = PipelineValidator.Order(pipeline);
        foreach (var load in order.OfType<LoadNode>())
        {
            try
            {
                await load.PeekAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception error) when (error is IOException or InvalidDataException or UnauthorizedAccessException)
            {
                throw new PipelineException($"Step '{load.Name}' (load) cannot read its data: {error.Message}", error);
            }
        }
        return (order, PipelineValidator.CheckColumns(pipeline, order));
    }

    private IReadOnlyDictionary<PipelineStep, long> PrepareStore(RunStore store, IReadOnlyList<PipelineStep> order)
    {
        var signatures = new Dictionary<PipelineStep, string>();
        var resumed = new Dictionary<PipelineStep, long>();
        foreach (var step in order)
        {
            // A step's signature covers its settings and everything upstream: change one step, and it
            // and the steps after it start again while the steps before it keep their rows.
            signatures[step] = PipelineStep.Hash(string.Join("\n",
                [step.Kind, step.Name, step.Settings(), .. step.Parents.Select(p => signatures[p])]));
            if (!step.IsStored) continue;
            resumed[step] = store.Prepare(step.Name, signatures[step], out var forgotten);
            if (forgotten.Count > 0)
            {
                pipeline.Logger.LogWarning(
                    "Step '{Step}' changed (its settings or what comes before it), so its unfinished batches {Batches} are forgotten; they still run on the service. Cancel them there if they are not wanted.",
                    step.Name, string.Join(", ", forgotten));
            }
            if (resumed[step] > 0)
            {
                pipeline.Logger.LogInformation("Step '{Step}' resumes with {Rows} finished input rows from {Store}.", step.Name, resumed[step], store.Path);
            }
        }
        return resumed;
    }

    // Rows an earlier run stored with failed LLM calls are asked again (unless the run keeps them),
    // and every step after the task computes again what it made from them: a task step's own failed
    // rows are retried, and the steps below it inherit those keys (every key, below a global step).
    private Dictionary<PipelineStep, (RedoneRows Redone, RedoneRows Retried)> FailedRowsToRetry(RunStore store, IReadOnlyList<PipelineStep> order)
    {
        var redo = new Dictionary<PipelineStep, (RedoneRows Redone, RedoneRows Retried)>();
        foreach (var step in order)
        {
            var retried = step is TaskNode && step.IsStored && !options.KeepFailedRows ? RedoneRows.Of(store.FailedRows(step.Name)) : RedoneRows.None;
            var redone = step.Parents.Aggregate(retried, (rows, parent) => rows.With(redo[parent].Redone.After(parent)));
            redo[step] = (redone, retried);
            if (!retried.IsEmpty)
            {
                pipeline.Logger.LogInformation(
                    "Step '{Step}' asks again the rows whose LLM calls failed in an earlier run ({Store}); set KeepFailedRows (distil run --keep-failed) to keep them as they are.",
                    step.Name, store.Path);
            }
        }
        return redo;
    }

    private async Task<long?> CountRowsAsync(IReadOnlyList<PipelineStep> order, CancellationToken cancellationToken)
    {
        long total = 0;
        foreach (var load in order.OfType<LoadNode>())
        {
            if (await load.Source.CountAsync(cancellationToken).ConfigureAwait(false) is not { } count) return null;
            total += Math.Min(options.Shard is { } shard ? (count + shard.Count - 1) / shard.Count : count, options.SourceRowLimit ?? long.MaxValue);
        }
        return total;
    }

    private static PipelineException Describe(PipelineStep step, Exception error) => error switch
    {
        PipelineException known => known,
        _ => new PipelineException($"Step '{step.Name}' ({step.Kind}) failed: {ErrorText.Of(error)}", error),
    };

    // The rows of each leaf: a writer's are those of the step before it. A source is not stored, so a
    // pipeline that only copies a source (load -> write) gives the rows the load took, read again.
    private static Dictionary<string, Dataset> Datasets(IReadOnlyList<PipelineStep> order, string storePath, RunControl control)
    {
        var datasets = new Dictionary<string, Dataset>(StringComparer.Ordinal);
        var copies = new Dictionary<string, Dataset>(StringComparer.Ordinal);
        foreach (var leaf in order.Where(s => s.Children.Count == 0))
        {
            var stored = leaf;
            var onlyWriters = true;
            while (!stored.IsStored && stored.Parents.Count == 1)
            {
                onlyWriters &= stored is WriteNode;
                stored = stored.Parents[0];
            }
            if (stored.IsStored) datasets[leaf.Name] = new Dataset(leaf.Name, storePath, stored.Name);
            else if (stored is LoadNode load && onlyWriters)
            {
                copies[leaf.Name] = new Dataset(leaf.Name, cancellation => load.TakenRowsAsync(control.Shard, control.SourceRowLimit, cancellation));
            }
        }
        // Only when nothing else is a leaf: a copy written beside a branch of steps keeps that branch the one dataset.
        return datasets.Count > 0 ? datasets : copies;
    }
}
