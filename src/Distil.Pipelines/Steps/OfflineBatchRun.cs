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
/// <see cref="RecordedCalls"/> and <see cref="ReplayedCalls"/>), behind the step's column mappings
/// as online (<see cref="MappedTaskRun"/>). With <see cref="LlmTask.Reasks"/>,
/// the generations whose answers do not fit are asked again in further batches, one round per
/// re-ask, each under the same rules. Every call to the batch service is retried with backoff on
/// transient faults, as chat calls are; the step's progress lines go to the pipeline's logger.
/// </summary>
internal sealed class OfflineBatchRun(LlmTask task, ColumnMappings? mappings, StepRun run, IOfflineBatchClient batches)
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

        // The rows not finished in an earlier run; the others are replayed from the store.
        var finished = new Dictionary<RowKey, IReadOnlyList<KeyedRow>>();
        var open = new List<(KeyedRow Row, int Index)>();
        for (var index = 0; index < rows.Count; index++)
        {
            if (run.Replay(rows[index].Key) is { } stored) finished[rows[index].Key] = stored;
            else open.Add((rows[index], index));
        }

        // Rule: round 0 sends each generation's first call; round N re-asks, in one further batch,
        // the generations whose answer after N-1 re-asks still does not fit, up to Reasks rounds.
        // Each round's requests are recorded by the task run from the answers of the rounds before
        // it, so a rerun records the same requests and the run store's custom ids keep any from
        // being paid twice.
        var results = new Dictionary<string, OfflineBatchResult>(StringComparer.Ordinal);
        // Requests some earlier run of this directory had answered (in a batch or online) are
        // answered from its answers and sent in no batch; every answer a batch brings is kept there.
        using var answers = RunAnswers.Open(Path.GetDirectoryName(run.Store.Path)!);
        var reused = new HashSet<string>(StringComparer.Ordinal);
        var rounds = task.MakesDependentCalls ? 0 : task.Reasks;
        for (var round = 0; round <= rounds; round++)
        {
            var recorder = new RecordedCalls(task.Name, round, results);
            var recording = MappedTaskRun.Of(task.CreateRun(llm, recorder, run.Metrics, Step), mappings);
            foreach (var (row, index) in open)
            {
                await recording.RunRowAsync(row.Row, row.Key.Text, index, cancellationToken).ConfigureAwait(false);
            }
            var requests = new Dictionary<string, OfflineBatchRequest>(StringComparer.Ordinal);
            var keys = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var (request, rowKey, repeat) in recorder.RequestsOfRows)
            {
                requests[request.CustomId] = request;
                keys[request.CustomId] = RunAnswers.Key(llm, request.Messages, request.Options, Step, rowKey, repeat);
            }
            if (requests.Count == 0 && round > 0) break; // every answer fits, or has no answer to ask again about
            await ReuseAnswersAsync(answers, requests, keys, results, reused, cancellationToken).ConfigureAwait(false);
            if (requests.Count == 0) continue; // every request of the round was answered before
            if (round > 0)
            {
                run.Logger.LogInformation(
                    "Step '{Step}': {Rows} rows have answers that do not fit; they are asked again in an offline batch (re-ask {Round} of {Reasks}, {Requests} requests).",
                    Step, recorder.RowCount, round, rounds, requests.Count);
            }
            var collected = await CollectAsync(requests, round, cancellationToken).ConfigureAwait(false);
            if (collected is null)
            {
                run.Control.MarkStoppedEarly();
                return;
            }
            foreach (var (customId, result) in collected) results[customId] = result;
            await KeepAnswersAsync(answers, collected, keys, cancellationToken).ConfigureAwait(false);
        }

        // The same task run again, its calls answered from the batches: parsing is the task's own.
        var replay = MappedTaskRun.Of(task.CreateRun(llm, new ReplayedCalls(results, run.Metrics, Step, reused), run.Metrics, Step), mappings);
        for (var index = 0; index < rows.Count; index++)
        {
            var row = rows[index];
            if (!finished.TryGetValue(row.Key, out var outputs))
            {
                outputs = PipelineStep.Keyed(row.Key, await replay.RunRowAsync(row.Row, row.Key.Text, index, cancellationToken).ConfigureAwait(false));
                await run.SaveAsync(row.Key, index, outputs).ConfigureAwait(false);
            }
            await run.EmitAsync(outputs).ConfigureAwait(false);
        }
        replay.LogSummary();
    }

    // Takes out of the round's requests those already answered in the run directory, with their
    // answers as results (counted as reused when the rows are built).
    private async Task ReuseAnswersAsync(ResponseCache answers, Dictionary<string, OfflineBatchRequest> requests, IReadOnlyDictionary<string, string> keys,
        Dictionary<string, OfflineBatchResult> results, HashSet<string> reused, CancellationToken cancellationToken)
    {
        var found = 0;
        foreach (var customId in requests.Keys.ToList())
        {
            if (await RunAnswers.FindAsync(answers, keys[customId], task.Logger, cancellationToken).ConfigureAwait(false) is not { } answer) continue;
            results[customId] = new OfflineBatchResult(customId, answer.Text, answer.Usage?.InputTokenCount, answer.Usage?.OutputTokenCount, answer.ModelId, null);
            reused.Add(customId);
            requests.Remove(customId);
            found++;
        }
        if (found > 0)
        {
            run.Logger.LogInformation("Step '{Step}': {Reused} requests answered from the run directory's answers (already paid for); {Requests} to send.",
                Step, found, requests.Count);
        }
    }

    // Keeps each answer a batch brought in the run directory, as an online call's answer is kept.
    private async Task KeepAnswersAsync(ResponseCache answers, IReadOnlyDictionary<string, OfflineBatchResult> collected,
        IReadOnlyDictionary<string, string> keys, CancellationToken cancellationToken)
    {
        foreach (var (customId, result) in collected)
        {
            if (!result.Succeeded || !keys.TryGetValue(customId, out var key)) continue;
            await RunAnswers.KeepAsync(answers, key, BatchAnswers.Response(result), task.Logger, cancellationToken).ConfigureAwait(false);
        }
    }

    // Submits and polls until every request has a final result; null when the run should stop
    // with batches pending (not waiting).
    private async Task<IReadOnlyDictionary<string, OfflineBatchResult>?> CollectAsync(
        Dictionary<string, OfflineBatchRequest> requests, int round, CancellationToken cancellationToken)
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
                    run.Logger.LogWarning("Step '{Step}': batch {Batch} {Status}: {Error}", Step, batch.Id, state.Status, state.Error);
                }
                store.FinishBatch(Step, batch.Id, state.Status, collected);
                run.Logger.LogInformation("Step '{Step}': batch {Batch} {Status}; {Answered} of {Requests} requests answered.",
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
                        if (round == 0)
                        {
                            run.Logger.LogInformation("Step '{Step}': submitted batch {Batch} with {Requests} requests to {Service}.",
                                Step, submitted.Id, submitted.CustomIds.Count, batches.Describe());
                        }
                        else
                        {
                            run.Logger.LogInformation("Step '{Step}': submitted re-ask batch {Batch} (re-ask {Round}) with {Requests} requests for {Rows} rows to {Service}.",
                                Step, submitted.Id, round, submitted.CustomIds.Count, RowCount(submitted.CustomIds), batches.Describe());
                        }
                    }, token).ConfigureAwait(false);
                }, cancellationToken).ConfigureAwait(false);
                continue; // check the new batches at once: a fast service may be done already
            }
            if (final.Count == requests.Count) return final;

            var pending = store.Batches(Step).Where(b => !OfflineBatchState.FinalStatuses.Contains(b.Status)).ToList();
            if (!run.Control.WaitForBatches)
            {
                run.Logger.LogWarning(
                    "Step '{Step}': {Requests} requests are in {Count} pending batches ({Batches}); the run stops here. Run it again to collect them, or wait for them (WaitForBatches, distil run --batch --wait).",
                    Step, pending.Sum(b => b.CustomIds.Count), pending.Count, string.Join(", ", pending.Select(b => b.Id)));
                return null;
            }
            await Task.Delay(wait, cancellationToken).ConfigureAwait(false);
            wait = TimeSpan.FromTicks(Math.Min(wait.Ticks * 2, batches.Options.MaxPollInterval.Ticks));
        }
    }

    // The rows of re-ask requests: a re-ask's custom id is row:generation:reaskN, and a row key may hold ':' itself.
    private static int RowCount(IEnumerable<string> reaskIds) => reaskIds.Select(id =>
    {
        var end = id.LastIndexOf(':');
        return id[..id.LastIndexOf(':', end - 1)];
    }).Distinct(StringComparer.Ordinal).Count();

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
