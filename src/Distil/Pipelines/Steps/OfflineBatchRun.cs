using Microsoft.Extensions.Logging;
using Polly;
using Polly.Retry;

namespace Distil.Pipelines;

/// <summary>
/// A task step whose LLM sends offline batches. It needs all its rows at once (a global step):
/// it builds each row's requests as an online run would, submits those that no earlier run
/// answered or has in flight, records every batch id in the run store at once, and collects
/// results by custom id. A batch that expires or fails in part keeps its answers; only the
/// requests without one go out again (at most <see cref="MaxAttempts"/> times each). Without
/// <see cref="RunControl.WaitForBatches"/> the run stops once the batches are submitted or
/// checked, saying what is pending; the next run picks them up instead of submitting again.
/// Requests are recorded, and answers replayed, by the same task run an online step uses (with
/// <see cref="RecordedCalls"/> and <see cref="ReplayedCalls"/>). Every call to the batch service is
/// retried with backoff on transient faults, as chat calls are.
/// </summary>
internal sealed class OfflineBatchRun(LlmTask task, StepRun run, IOfflineBatchClient batches)
{
    /// <summary>How many batches one request may go out in before its failure is final.</summary>
    public const int MaxAttempts = 3;

    private string Step => run.Step.Name;

    private readonly ResiliencePipeline _service = ServicePipeline(batches.Options, task.Logger, run.Step.Name);

    public async Task RunAsync()
    {
        var cancellationToken = run.Cancellation;
        var rows = new List<KeyedRow>();
        await foreach (var input in run.ReadAsync(cancellationToken: cancellationToken).ConfigureAwait(false)) rows.Add(input);
        if (run.Control.StoppedEarly) return; // a batch needs every row: a partial input is not submitted
        var llm = task.Llm!;
        task.CheckClient(llm);

        // The requests of every row not finished in an earlier run, recorded as an online run would send them.
        var finished = new Dictionary<RowKey, IReadOnlyList<KeyedRow>>();
        var recorder = new RecordedCalls(task.Name);
        var recording = task.CreateRun(llm, recorder, run.Metrics, Step);
        for (var index = 0; index < rows.Count; index++)
        {
            var row = rows[index];
            if (run.Replay(row.Key) is { } stored)
            {
                finished[row.Key] = stored;
                continue;
            }
            await recording.RunRowAsync(row.Row, row.Key.Text, index, cancellationToken).ConfigureAwait(false);
        }
        var requests = new Dictionary<string, OfflineBatchRequest>(StringComparer.Ordinal);
        foreach (var request in recorder.Requests) requests[request.CustomId] = request;

        var results = await CollectAsync(requests, cancellationToken).ConfigureAwait(false);
        if (results is null)
        {
            run.Control.MarkStoppedEarly();
            return;
        }

        // The same task run again, its calls answered from the batches: parsing is the task's own.
        var replay = task.CreateRun(llm, new ReplayedCalls(task.Name, results, run.Metrics, Step), run.Metrics, Step);
        for (var index = 0; index < rows.Count; index++)
        {
            var row = rows[index];
            if (!finished.TryGetValue(row.Key, out var outputs))
            {
                outputs = StepNode.Keyed(row.Key, await replay.RunRowAsync(row.Row, row.Key.Text, index, cancellationToken).ConfigureAwait(false));
                await run.SaveAsync(row.Key, index, outputs).ConfigureAwait(false);
            }
            await run.EmitAsync(outputs).ConfigureAwait(false);
        }
        replay.LogSummary();
    }

    // Submits and polls until every request has a final result; null when the run should stop
    // with batches pending (not waiting).
    private async Task<IReadOnlyDictionary<string, OfflineBatchResult>?> CollectAsync(
        Dictionary<string, OfflineBatchRequest> requests, CancellationToken cancellationToken)
    {
        var store = run.Store;
        var wait = batches.Options.PollInterval;
        while (true)
        {
            foreach (var batch in store.Batches(Step).Where(b => !OfflineBatchState.FinalStatuses.Contains(b.Status)))
            {
                var state = await _service.ExecuteAsync(
                    async token => await batches.GetStateAsync(batch.Id, token).ConfigureAwait(false), cancellationToken).ConfigureAwait(false);
                if (!state.IsFinal) continue;
                var collected = new List<OfflineBatchResult>();
                foreach (var file in new[] { state.OutputFileId, state.ErrorFileId }.OfType<string>())
                {
                    // A download cut off half-way starts again from the top of the file.
                    collected.AddRange(await _service.ExecuteAsync(async token =>
                    {
                        var results = new List<OfflineBatchResult>();
                        await foreach (var result in batches.ReadResultsAsync(file, token).ConfigureAwait(false)) results.Add(result);
                        return results;
                    }, cancellationToken).ConfigureAwait(false));
                }
                if (collected.Count == 0 && state.Error is not null)
                {
                    // A batch failed as a whole (its file did not validate): every request carries the reason.
                    collected.AddRange(batch.CustomIds.Select(id =>
                        new OfflineBatchResult(id, null, null, null, null, $"batch {batch.Id} {state.Status}: {state.Error}") { Retryable = false }));
                    task.Logger.LogWarning("Step '{Step}': batch {Batch} {Status}: {Error}", Step, batch.Id, state.Status, state.Error);
                }
                store.FinishBatch(Step, batch.Id, state.Status, collected);
                task.Logger.LogInformation("Step '{Step}': batch {Batch} {Status}; {Answered} of {Requests} requests answered.",
                    Step, batch.Id, state.Status, collected.Count(r => r.Succeeded), batch.CustomIds.Count);
            }

            var stored = store.Batches(Step);
            var results = store.BatchResults(Step);
            var inFlight = stored.Where(b => !OfflineBatchState.FinalStatuses.Contains(b.Status)).SelectMany(b => b.CustomIds).ToHashSet(StringComparer.Ordinal);
            var attempts = stored.Where(b => OfflineBatchState.FinalStatuses.Contains(b.Status))
                .SelectMany(b => b.CustomIds).GroupBy(id => id, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);
            var final = new Dictionary<string, OfflineBatchResult>(StringComparer.Ordinal);
            var toSubmit = new List<OfflineBatchRequest>();
            foreach (var (customId, request) in requests)
            {
                if (results.TryGetValue(customId, out var result) && result.Succeeded) final[customId] = result;
                else if (attempts.GetValueOrDefault(customId) >= MaxAttempts || result is { Retryable: false })
                    final[customId] = result ?? new OfflineBatchResult(customId, null, null, null, null, $"no answer after {MaxAttempts} batches");
                else if (!inFlight.Contains(customId)) toSubmit.Add(request);
            }

            if (toSubmit.Count > 0)
            {
                // Each batch is saved as soon as it exists: a retry after a failed upload or creation
                // submits only the requests that are in no batch yet.
                var saved = new HashSet<string>(StringComparer.Ordinal);
                await _service.ExecuteAsync(async token =>
                {
                    var remaining = toSubmit.Where(r => !saved.Contains(r.CustomId)).ToList();
                    await batches.SubmitAsync(remaining, submitted =>
                    {
                        store.SaveBatch(Step, submitted);
                        saved.UnionWith(submitted.CustomIds);
                        task.Logger.LogInformation("Step '{Step}': submitted batch {Batch} with {Requests} requests to {Service}.",
                            Step, submitted.Id, submitted.CustomIds.Count, batches.Describe());
                    }, token).ConfigureAwait(false);
                }, cancellationToken).ConfigureAwait(false);
                continue; // check the new batches at once: a fast service may be done already
            }
            if (final.Count == requests.Count) return final;

            var pending = store.Batches(Step).Where(b => !OfflineBatchState.FinalStatuses.Contains(b.Status)).ToList();
            if (!run.Control.WaitForBatches)
            {
                task.Logger.LogWarning(
                    "Step '{Step}': {Requests} requests are in {Count} pending batches ({Batches}); the run stops here. Run it again to collect them, or wait for them (WaitForBatches, distil run --batch --wait).",
                    Step, pending.Sum(b => b.CustomIds.Count), pending.Count, string.Join(", ", pending.Select(b => b.Id)));
                return null;
            }
            await Task.Delay(wait, cancellationToken).ConfigureAwait(false);
            wait = TimeSpan.FromTicks(Math.Min(wait.Ticks * 2, batches.Options.MaxPollInterval.Ticks));
        }
    }

    // Uploads, batch creations, polls and downloads are retried like chat calls: a 503 during a
    // long wait must not fail a step whose batches are fine on the service.
    private static ResiliencePipeline ServicePipeline(OfflineBatchOptions options, ILogger logger, string step)
    {
        if (options.MaxRetries <= 0) return ResiliencePipeline.Empty;
        return new ResiliencePipelineBuilder().AddRetry(TransientFaults.RetryOptions(options.MaxRetries, options.RetryDelay, options.MaxPollInterval, args =>
        {
            logger.LogWarning("Step '{Step}': a call to the batch service failed ({Reason}); retry {Retry} of {MaxRetries} in {Delay:0.###} s.",
                step, args.Outcome.Exception is { } error ? TransientFaults.Describe(error) : "no answer",
                args.AttemptNumber + 1, options.MaxRetries, args.RetryDelay.TotalSeconds);
            return default;
        })).Build();
    }
}
