using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using Microsoft.Extensions.AI;

namespace Distil.Pipelines;

/// <summary>
/// Runs an LLM task. Rows stream into the task, which keeps up to its MaxConcurrency calls in
/// flight with no batch barrier; answers come back in input order and are committed as they come.
/// Rows finished in an earlier run with the same signature are replayed without a call.
/// </summary>
internal sealed class TaskNode(LlmTask task) : StepNode(task.Name)
{
    public LlmTask Task { get; } = task;

    public override string Kind => "task";

    public override IReadOnlyList<string> RequiredColumns => Task.RequiredInputs;

    public override HashSet<string>? ColumnsAfter(IReadOnlyList<HashSet<string>?> parents) =>
        parents[0] is { } before ? [.. before, .. Task.Outputs, "model_name", Task.MetadataColumn] : null;

    public override string Settings() => TaskSignature.Of(Task);

    public override async Task RunAsync(StepRun run)
    {
        if (Task.Llm?.GetService<IOfflineBatchClient>() is { } batches)
        {
            await new OfflineBatchRun(Task, run, batches).RunAsync().ConfigureAwait(false);
            return;
        }
        var perRow = Task.GroupGenerations ? 1 : Task.NumGenerations;
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(run.Cancellation);
        var toTask = Channel.CreateBounded<JsonObject>(new BoundedChannelOptions(Task.MaxConcurrency) { SingleReader = true, SingleWriter = true });
        // Rows in input order, answered or waiting; its capacity bounds the rows ahead of the oldest unanswered one.
        var inOrder = Channel.CreateBounded<PendingRow>(new BoundedChannelOptions(4 * Task.MaxConcurrency + 64) { SingleReader = true, SingleWriter = true });
        var awaiting = new ConcurrentQueue<PendingRow>();

        var answers = System.Threading.Tasks.Task.Run(() => CollectAnswersAsync(toTask.Reader, awaiting, perRow, stop.Token), stop.Token);
        var emitter = System.Threading.Tasks.Task.Run(() => EmitInOrderAsync(run, inOrder.Reader, stop.Token), stop.Token);
        // Either failing stops the reading of rows, which may be waiting on a channel no one reads any more.
        _ = answers.ContinueWith(_ => stop.Cancel(), CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
        _ = emitter.ContinueWith(_ => stop.Cancel(), CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
        try
        {
            long sequence = 0;
            await foreach (var input in run.ReadAsync(cancellationToken: stop.Token).ConfigureAwait(false))
            {
                if (answers.IsFaulted || emitter.IsFaulted) break;
                if (run.Replay(input.Key) is { } stored)
                {
                    await inOrder.Writer.WriteAsync(PendingRow.Stored(input.Key, sequence++, stored), stop.Token).ConfigureAwait(false);
                    continue;
                }
                var pending = new PendingRow(input.Key, sequence++);
                input.Row[KeyColumn] = input.Key.Text;
                input.Row[LlmTask.RowIndexColumn] = pending.Sequence;
                awaiting.Enqueue(pending);
                await inOrder.Writer.WriteAsync(pending, stop.Token).ConfigureAwait(false);
                await toTask.Writer.WriteAsync(input.Row, stop.Token).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (answers.IsFaulted || emitter.IsFaulted)
        {
            // The error that stopped the others is reported below.
        }
        finally
        {
            toTask.Writer.TryComplete();
            inOrder.Writer.TryComplete();
        }

        try
        {
            await System.Threading.Tasks.Task.WhenAll(answers, emitter).ConfigureAwait(false);
        }
        catch
        {
            stop.Cancel();
            foreach (var pending in awaiting) pending.Fail(new OperationCanceledException());
            // The first real error, not the cancellations it caused.
            var error = new[] { answers, emitter }.Select(t => t.Exception?.InnerException).FirstOrDefault(e => e is not null and not OperationCanceledException);
            if (error is not null) System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(error);
            throw;
        }
    }

    // The task yields its rows in input order, perRow for each input row, each a copy of its input
    // row: the key column says which row, and the queue of awaiting rows is in the same order.
    private async Task CollectAnswersAsync(ChannelReader<JsonObject> rows, ConcurrentQueue<PendingRow> awaiting, int perRow, CancellationToken cancellationToken)
    {
        var collected = new List<JsonObject>(perRow);
        try
        {
            await foreach (var output in Task.ProcessAsync(rows.ReadAllAsync(cancellationToken), cancellationToken).ConfigureAwait(false))
            {
                output.Remove(KeyColumn);
                collected.Add(output);
                if (collected.Count < perRow) continue;
                if (!awaiting.TryDequeue(out var pending)) throw new InvalidOperationException($"Task '{Task.Name}' returned more rows than it was given.");
                pending.Complete(Keyed(pending.Key, collected));
                collected = new List<JsonObject>(perRow);
            }
        }
        catch (Exception error)
        {
            while (awaiting.TryDequeue(out var pending)) pending.Fail(error);
            throw;
        }
    }

    private static async Task EmitInOrderAsync(StepRun run, ChannelReader<PendingRow> inOrder, CancellationToken cancellationToken)
    {
        await foreach (var pending in inOrder.ReadAllAsync(cancellationToken).ConfigureAwait(false))
        {
            var outputs = await pending.Outputs.ConfigureAwait(false);
            if (!pending.WasStored) await run.SaveAsync(pending.Key, pending.Sequence, outputs).ConfigureAwait(false);
            await run.EmitAsync(outputs).ConfigureAwait(false);
        }
    }

    /// <summary>A row on its way through the task: answered (or replayed) or still waiting.</summary>
    private sealed class PendingRow(RowKey key, long sequence)
    {
        private readonly TaskCompletionSource<IReadOnlyList<KeyedRow>> _outputs = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public RowKey Key { get; } = key;

        public long Sequence { get; } = sequence;

        public bool WasStored { get; private init; }

        public Task<IReadOnlyList<KeyedRow>> Outputs => _outputs.Task;

        public static PendingRow Stored(RowKey key, long sequence, IReadOnlyList<KeyedRow> outputs)
        {
            var row = new PendingRow(key, sequence) { WasStored = true };
            row.Complete(outputs);
            return row;
        }

        public void Complete(IReadOnlyList<KeyedRow> outputs) => _outputs.TrySetResult(outputs);

        public void Fail(Exception error) => _outputs.TrySetException(error);
    }
}
