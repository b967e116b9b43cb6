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
        ProgressReporter.CheckOptions(options);
        var clock = Stopwatch.StartNew();
        var started = DateTimeOffset.UtcNow;
        using var span = DistilDiagnostics.Source.StartActivity("distil.pipeline");
        span?.SetTag("distil.pipeline", pipeline.Name);
        var (order, schemas) = await ValidateAsync(pipeline, options.Parameters, cancellationToken).ConfigureAwait(false);
        var goodRows = GoodRowsPlan.Find(order, options);

        var runDirectory = pipeline.RunDirectoryPath;
        var store = RunStore.Open(runDirectory, pipeline.Logger);
        IReadOnlyDictionary<PipelineStep, long> resumed;
        IReadOnlyList<StepRecompute> recomputed;
        IReadOnlyDictionary<PipelineStep, (RedoneRows Redone, RedoneRows Retried)> redo;
        try
        {
            (resumed, recomputed) = PrepareStore(store, order);
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
        // Every count of this run is recorded once, here, and read by the progress display and the result.
        using var metrics = new RunMetrics();
        var rounds = new List<long>();
        GoodRowsCut? cut = null;
        RunControl control = null!;
        Exception? failure = null;
        IAsyncDisposable? progress = null;
        var stepTimes = new System.Collections.Concurrent.ConcurrentDictionary<PipelineStep, TimeSpan>();
        try
        {
            // One pass over the graph, or with a GoodRows goal one per round: each round reads the
            // whole source again, replays the rows stored before and generates only the new ones, so
            // every step (a dedup, a global step) sees all rows, as in a run of that size.
            for (var round = 0; ; round++)
            {
                control = new RunControl(cancel.Token, options.GracefulStop, options.WaitForBatches, options.SourceRowLimit, options.Shard);
                if (goodRows is not null)
                {
                    goodRows.Source.Rows = round == 0 ? Math.Min(goodRows.Rows.Target, goodRows.Rows.MaxRows)
                        : GoodRowsPlan.NextRows(goodRows.Source.Rows, cut!.Survivors, goodRows.Rows.Target, goodRows.Rows.MaxRows);
                    rounds.Add(goodRows.Source.Rows);
                    cut = new GoodRowsCut(goodRows.Rows.Target);
                }
                var runs = StepRuns(order, schemas, store, round == 0 ? resumed : null, redo, metrics, control, goodRows?.Goal, cut);
                // Counting reads the sources once more: only worth it when an ETA is shown.
                var total = options.Progress == ProgressMode.None ? null : await CountRowsAsync(order, cancellationToken).ConfigureAwait(false);
                progress = ProgressReporter.Start(pipeline, options, runs.Select(r => r.Counters).ToList(), total);
                await Task.WhenAll(runs.Select(run => Task.Run(() => RunStepAsync(run), CancellationToken.None))).ConfigureAwait(false);
                await progress.DisposeAsync().ConfigureAwait(false);
                progress = null;
                if (goodRows is null || failure is not null || control.StoppedEarly || cancellationToken.IsCancellationRequested || options.SourceRowLimit is not null) break;
                if (cut!.Reached || goodRows.Source.Rows >= goodRows.Rows.MaxRows) break;
                pipeline.Logger.LogInformation(
                    "Round {Round}: {Survivors} of {Target} good rows from {Generated} generated rows; generating more.",
                    round + 1, cut.Survivors, goodRows.Rows.Target, goodRows.Source.Rows);
            }
        }
        finally
        {
            if (progress is not null) await progress.DisposeAsync().ConfigureAwait(false);
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
        var datasets = Datasets(order, store.Path, control);
        GoodRowsOutcome? goodRowsOutcome = null;
        if (goodRows is not null && cut is not null)
        {
            goodRowsOutcome = new GoodRowsOutcome(goodRows.Rows.Target, cut.Kept.Count, goodRows.Source.Rows, goodRows.Rows.MaxRows, rounds);
            datasets = GoodDatasets(order, store.Path, goodRows.Goal, cut.Kept.ToHashSet());
            if (completed && !goodRowsOutcome.Reached) pipeline.Logger.LogWarning("Pipeline '{Pipeline}': {Message}", pipeline.Name, goodRowsOutcome.Message);
        }
        return new PipelineResult(runDirectory, completed, datasets, clock.Elapsed, statistics, options.UnreadableWarningShare) { GoodRows = goodRowsOutcome, Recomputed = recomputed };

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

    // One StepRun per step for one pass over the graph, with fresh channels along the edges. Only the
    // first pass knows which steps had stored rows; a later round looks up every step's rows.
    private List<StepRun> StepRuns(IReadOnlyList<PipelineStep> order, IReadOnlyDictionary<PipelineStep, RowSchema?> schemas, RunStore store,
        IReadOnlyDictionary<PipelineStep, long>? resumed, IReadOnlyDictionary<PipelineStep, (RedoneRows Redone, RedoneRows Retried)> redo,
        RunMetrics metrics, RunControl control, PipelineStep? goal, GoodRowsCut? cut)
    {
        var edges = order.SelectMany(s => s.Children.Select(c => (s, c))).Distinct()
            .ToDictionary(e => e, _ => Channel.CreateBounded<KeyedRow>(new BoundedChannelOptions(EdgeCapacity) { SingleReader = true, SingleWriter = true }));
        return order.Select(step => new StepRun(
            step,
            step.Parents.Select(p => edges[(p, step)].Reader).ToArray(),
            step.Children.Select(c => edges[(step, c)].Writer).ToArray(),
            store,
            resumed is null ? step.IsStored : resumed.GetValueOrDefault(step) > 0,
            metrics,
            control,
            step.Parents.Count > 0 ? schemas[step.Parents[0]] : null,
            pipeline.Name)
        {
            Logger = pipeline.Logger,
            Redone = redo.TryGetValue(step, out var again) ? again.Redone : RedoneRows.None,
            Retried = redo.TryGetValue(step, out var own) ? own.Retried : RedoneRows.None,
            Cut = step == goal ? cut : null,
        }).ToList();
    }

    // The leaves of a GoodRows run hold the good rows only: those the goal step passed on, read from
    // the goal's rows, or from the stored step before it when the goal keeps none (a dedup, which
    // passes rows unchanged).
    private static Dictionary<string, Dataset> GoodDatasets(IReadOnlyList<PipelineStep> order, string storePath, PipelineStep goal, IReadOnlySet<RowKey> keys)
    {
        var stored = goal;
        while (!stored.IsStored && stored is not LoadNode && stored.Parents.Count == 1) stored = stored.Parents[0];
        return order.Where(s => s.Children.Count == 0).ToDictionary(leaf => leaf.Name, leaf => new Dataset(leaf.Name, storePath, stored.Name, keys), StringComparer.Ordinal);
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

    // Makes the store's rows those of this run's signatures, saying first, for each step that
    // recomputes, why (SignatureChange) and how many stored rows it drops.
    private (IReadOnlyDictionary<PipelineStep, long> Resumed, IReadOnlyList<StepRecompute> Recomputed) PrepareStore(RunStore store, IReadOnlyList<PipelineStep> order)
    {
        var signatures = StepSignature.OfAll(order);
        var recomputed = SignatureChange.Find(order, signatures, store.StoredSteps());
        foreach (var step in recomputed)
        {
            // Information, not a warning: a recompute follows from an edit the user made, and the
            // answers already paid for are reused; the line is there so that it is never a surprise.
            pipeline.Logger.LogInformation("{Message}", step.Message);
        }
        var resumed = new Dictionary<PipelineStep, long>();
        foreach (var step in order)
        {
            // Every step's parts are kept (a loader's and a dedup's too), so that a later run can
            // name the nearest step upstream that changed; only stored steps have rows to resume.
            var remaining = store.Prepare(signatures[step], out var forgotten);
            if (!step.IsStored) continue;
            resumed[step] = remaining;
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
        return (resumed, recomputed);
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
