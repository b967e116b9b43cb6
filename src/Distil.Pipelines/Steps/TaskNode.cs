using System.Text.Json.Nodes;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;

namespace Distil.Pipelines;

/// <summary>
/// Runs an LLM task. Rows stream into the task, which keeps up to its MaxConcurrency calls in
/// flight with no batch barrier. Each input row's outputs are committed to the run store as soon
/// as its answers are in, in whatever order they finish, with the other rows the store's writer
/// finds ready (group commit), so a crash asks again at most the calls in flight; rows go on to
/// the next steps in input order. Rows finished in an earlier run with the
/// same signature are replayed without a call.
/// </summary>
internal sealed class TaskNode(LlmTask task, ColumnMappings? mappings = null, RowCondition? condition = null) : PipelineStep(task.Name)
{
    public LlmTask Task { get; } = task;

    /// <summary>Which rows the task asks the LLM for; the others pass with null outputs (null: every row).</summary>
    public RowCondition? Condition { get; } = condition;

    /// <summary>Columns the task reads and writes under other names (none by default).</summary>
    public ColumnMappings? Mappings { get; } = mappings is { IsEmpty: false } ? mappings : null;

    public override string Kind => "task";

    /// <summary>The task's output columns under the names the rows carry them (its mappings applied).</summary>
    public IReadOnlyList<string> OutputColumns =>
        Mappings is null ? Task.Outputs : Task.Outputs.Select(Mappings.RowColumn).ToList();

    /// <summary>
    /// The task's own formatting of a pipeline row: the row as the task sees it (its input
    /// mappings applied, as a run does), then its prompt. The row is left as it was.
    /// </summary>
    public IReadOnlyList<ChatMessage> FormatRow(JsonObject row) =>
        Task.FormatRow(Mappings is null ? row : Mappings.In((JsonObject)row.DeepClone()).View);

    public override IReadOnlyList<string> RequiredColumns =>
        [.. (Mappings is null ? Task.RequiredInputs : Task.RequiredInputs.Select(i => Mappings.Inputs.GetValueOrDefault(i, i))).Union(Condition?.Reads ?? [])];

    public override RowSchema? SchemaAfter(IReadOnlyList<RowSchema?> parents)
    {
        var after = parents[0] switch
        {
            null => null,
            var before when Mappings is null => Task.SchemaAfter(before),
            var before => Mappings.RenameOut(Task.SchemaAfter(Mappings.RenameIn(before)), before),
        };
        return Condition is null || after is null ? after : SkippedRows.SchemaAfter(Task, after);
    }

    // The condition is part of the signature: a changed condition runs the step again (answers paid
    // for come back from the run's answers, see RunAsync).
    public override string Settings() =>
        TaskSignature.Of(Task) + (Mappings is null ? "" : "|mappings:" + Mappings.Signature()) + (Task.DistinctRowDraws ? "|distinct-row-draws" : "")
        + (Condition is null ? "" : "|when:" + Condition.Signature);

    internal override async Task RunAsync(StepRun run)
    {
        var llm = Task.Llm ?? throw new PipelineException($"Task '{Task.Name}' has no LLM. Set its Llm property to an IChatClient.");
        if (llm.GetService<IOfflineBatchClient>() is { } batches)
        {
            if (Condition is not null) throw new PipelineException($"Task step '{Name}' has a condition and an offline batch client; conditional steps run online only. Filter the rows before the step instead.");
            await new OfflineBatchRun(Task, Mappings, run, batches).RunAsync().ConfigureAwait(false);
            return;
        }
        Task.CheckClient(llm);
        // Every answer is kept in the run directory as it arrives, under its request and its row:
        // a step computed again (a changed signature, here or upstream; a changed condition), a
        // killed run, or a rerun that asks a row with a failed call again, pays only for requests
        // never answered (RunAnswers).
        using var answers = RunAnswers.Open(Path.GetDirectoryName(run.Store.Path)!);
        llm = RunAnswers.Around(llm, answers, Task.Logger);
        var taskRun = MappedTaskRun.Of(Task.CreateRun(llm, new OnlineCalls(llm, Task.MaxConcurrency, run.Metrics, Name, run.Store.Gate), run.Metrics, Name), Mappings);
        // A row runs until it is committed, so that what a kill can lose stays bounded: at most
        // MaxConcurrency rows with calls in flight (OnlineCalls' slots) and at most MaxConcurrency
        // more answered and waiting for the store's next group commit. The second half is what keeps
        // the commit out of a call's critical path: a slot's next call starts while the row it
        // answered waits a few milliseconds for its transaction (see RowsInProgress).
        var rows = OrderedWindow.RunAsync(run.ReadAsync(cancellationToken: run.Cancellation), OrderedWindow.CapacityFor(Task.MaxConcurrency),
            RowsInProgress(Task.MaxConcurrency), (input, sequence, cancellationToken) => RowAsync(taskRun, run, input, sequence, cancellationToken), run.Cancellation);
        await foreach (var outputs in rows.ConfigureAwait(false))
        {
            await run.EmitAsync(outputs).ConfigureAwait(false);
        }
        taskRun.LogSummary();
        if (Condition is not null)
        {
            Task.Logger.LogInformation("Task '{Task}': {Skipped} rows skipped by the condition ({Condition}).", Name, run.Metrics.For(Name).Skipped, Condition.Description);
        }
    }

    /// <summary>
    /// How many rows a task step with <paramref name="maxConcurrency"/> works on at once, from the
    /// first call to the commit: its calls in flight, and as many rows again answered and waiting
    /// for their commit. A SIGKILL loses at most these rows; only the calls in flight are paid for
    /// twice, since an answered row's answers are already in <c>answers.db</c> (<see cref="RunAnswers"/>).
    /// </summary>
    internal static int RowsInProgress(int maxConcurrency) => 2 * maxConcurrency;

    private async Task<IReadOnlyList<KeyedRow>> RowAsync(ITaskRun taskRun, StepRun run, KeyedRow input, long sequence, CancellationToken cancellationToken)
    {
        if (run.Replay(input.Key) is { } stored) return stored;
        if (Condition is not null && !Condition.Passes(input.Row))
        {
            // Rule: a row that does not pass is not asked; it goes on with null outputs and the
            // reason in its metadata, counted as skipped (never as failed, so a rerun does not ask it).
            var skipped = Keyed(input.Key, [SkippedRows.Row(Task, OutputColumns, input.Row, Condition)]);
            run.Metrics.RowSkipped(Name);
            await run.SaveAsync(input.Key, sequence, skipped).ConfigureAwait(false);
            return skipped;
        }
        // What this row's calls cost is tallied apart, so that the run log counts them with the row's commit.
        var cost = run.Metrics.TallyRow(run.Step.Name);
        var rows = await taskRun.RunRowAsync(input.Row, input.Key.Text, sequence, cancellationToken).ConfigureAwait(false);
        var outputs = Keyed(input.Key, rows);
        // Committed now, before the rows ahead of it finish: a paid answer never waits in memory for a
        // slower one. Its call slot is free already; its row counts against RowsInProgress until it is on disk.
        await run.SaveAsync(input.Key, sequence, outputs, untilCommitted: true, cost, FailedGenerations(taskRun.Task, rows)).ConfigureAwait(false);
        return outputs;
    }

    // A failed call leaves 'error_<task>' in its generation's metadata (an answered one never does,
    // readable or not): counted so that the store tells the rows a rerun asks again from those paid for.
    private static int FailedGenerations(LlmTask task, IReadOnlyList<JsonObject> rows)
    {
        var errorKey = "error_" + task.Name;
        var failed = 0;
        foreach (var row in rows)
        {
            switch (row[task.MetadataColumn])
            {
                case JsonObject metadata when metadata[errorKey] is not null:
                    failed++;
                    break;
                case JsonArray grouped:
                    failed += grouped.Count(generation => generation is JsonObject metadata && metadata[errorKey] is not null);
                    break;
            }
        }
        return failed;
    }
}
