using Microsoft.Extensions.AI;
using System.Runtime.CompilerServices;
using System.Text.Json.Nodes;

namespace Distil.Pipelines;

/// <summary>Reads a source; each row gets its index as key. Not stored: the source is.</summary>
internal sealed class LoadNode(string name, IRowSource source) : PipelineStep(name)
{
    private RowSchema? _schema;

    public IRowSource Source { get; } = source;

    public override string Kind => "load";

    internal override bool IsStored => false;

    public override (int Min, int Max) ParentCount => (0, 0);

    /// <summary>Reads the source's schema for validation: the columns the data has, with their types.</summary>
    public async Task PeekAsync(CancellationToken cancellationToken) =>
        _schema = await Source.SchemaAsync(cancellationToken).ConfigureAwait(false);

    public override RowSchema? SchemaAfter(IReadOnlyList<RowSchema?> parents) => _schema;

    public override string Settings() => Source.Describe();

    internal override async Task RunAsync(StepRun run)
    {
        long index = 0, taken = 0;
        await foreach (var row in Source.ReadAsync(run.Cancellation).ConfigureAwait(false))
        {
            if (run.Control.Graceful.IsCancellationRequested)
            {
                run.Control.MarkStoppedEarly();
                return;
            }
            if (taken >= run.Control.SourceRowLimit) return;
            var key = RowKey.Source(index++);
            // A shard takes the rows whose position hashes to it; their keys stay the source's, so shards merge back in order.
            if (run.Control.Shard is { } shard && !shard.Contains(index - 1)) continue;
            taken++;
            run.Counters.RowRead();
            await run.EmitAsync([new KeyedRow(key, row)]).ConfigureAwait(false);
        }
        run.Control.SourceRows[Name] = (index, taken);
    }

    /// <summary>The rows a run with this shard and row limit takes from the source, read again (a load is not stored).</summary>
    public async IAsyncEnumerable<JsonObject> TakenRowsAsync(Shard? shard, long? limit, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        long index = 0, taken = 0;
        await foreach (var row in Source.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            if (taken >= limit) yield break;
            var position = index++;
            if (shard is { } part && !part.Contains(position)) continue;
            taken++;
            yield return row;
        }
    }
}

/// <summary>Writes the rows it gets to a sink, only when the run went through every row.</summary>
internal sealed class WriteNode(string name, IRowSink sink) : PipelineStep(name)
{
    public IRowSink Sink { get; } = sink;

    public override string Kind => "write";

    internal override bool IsStored => false;

    public override RowSchema? SchemaAfter(IReadOnlyList<RowSchema?> parents) => parents[0];

    public override string Settings() => Sink.Describe();

    internal override async Task RunAsync(StepRun run)
    {
        if (run.Control.SourceRowLimit is not null)
        {
            // A preview writes no file: its rows are in the run's datasets.
            await foreach (var _ in run.ReadAsync(cancellationToken: run.Cancellation).ConfigureAwait(false)) { }
            return;
        }
        var keys = run.Control.Shard is { } shard ? ShardKeys.Start(Sink, shard, Name, run.PipelineName) : null;
        try
        {
            var context = new RowSinkContext { Schema = run.InputSchema, Pipeline = run.PipelineName, Steps = () => Describe(run) };
            await Sink.WriteAsync(Rows(run, keys), context, run.Cancellation).ConfigureAwait(false);
            // Beside the shard's output, its rows' keys: what the merge orders and checks by.
            if (keys is not null) await keys.FinishAsync(run.Control.SourceRows, run.Cancellation).ConfigureAwait(false);
        }
        catch (PartialRunException)
        {
            // A stopped run leaves the previous file in place; the rows done so far are in the store.
            keys?.Abandon();
        }
        catch (Exception error) when (error is IOException or InvalidDataException or UnauthorizedAccessException or NotSupportedException)
        {
            keys?.Abandon();
            // Every row the steps before made is committed: writing again costs no LLM call.
            throw new PipelineException(
                $"Step '{Name}' (write) could not write {Sink.Describe()}: {ErrorText.Sentence(ErrorText.Of(error))} Every finished row is kept in the run directory " +
                $"{System.IO.Path.GetDirectoryName(run.Store.Path)}; fix the cause and run the same pipeline again: the rows are replayed from there without calling the model.",
                error);
        }
    }

    // The steps upstream of this writer, in run order, with what they did in this run.
    private static IReadOnlyList<StepSummary> Describe(StepRun run)
    {
        var upstream = new List<PipelineStep>();
        var seen = new HashSet<PipelineStep>();
        void Visit(PipelineStep step)
        {
            if (!seen.Add(step)) return;
            foreach (var parent in step.Parents) Visit(parent);
            upstream.Add(step);
        }
        foreach (var parent in run.Step.Parents) Visit(parent);
        return upstream.Select(step =>
        {
            var counts = run.Metrics.For(step.Name);
            var task = (step as TaskNode)?.Task;
            return new StepSummary(step.Name, step.Kind, step.Parents.Select(p => p.Name).ToList(), task?.GetType().Name,
                RunLog.ModelOf(task), counts.Read, counts.Written)
            {
                MetadataColumn = task?.MetadataColumn,
                Parameters = task is null ? [] : TaskDetails.Parameters(task),
                Prompt = task is null ? [] : TaskDetails.Prompt(task),
            };
        }).ToList();
    }

    private static async IAsyncEnumerable<JsonObject> Rows(StepRun run, ShardKeys? keys, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await foreach (var row in run.ReadAsync(cancellationToken: run.Cancellation).ConfigureAwait(false))
        {
            run.Counters.RowWritten();
            if (keys is not null) await keys.AddAsync(row.Key).ConfigureAwait(false);
            yield return row.Row;
        }
        // A round of a GoodRows run with too few good rows is not the dataset yet (or, at the bound, never will be).
        if (run.Control.StoppedEarly || run.Control.ShortOfGoal) throw new PartialRunException();
    }

    private sealed class PartialRunException : Exception;
}

/// <summary>Runs a function over all rows at once, after every row has arrived.</summary>
internal sealed class GlobalNode(string name, Func<IReadOnlyList<JsonObject>, IEnumerable<JsonObject>> function,
    IReadOnlyList<string> reads, IReadOnlyList<string> writes) : AllRowsStep(name)
{
    public override string Kind => "global";

    public override IReadOnlyList<string> RequiredColumns => reads;

    // What the function writes is not declared with types: found from the rows when a typed file is written.
    public override RowSchema? SchemaAfter(IReadOnlyList<RowSchema?> parents) =>
        parents[0]?.With(writes.Select(c => new Column(c, ColumnType.Unknown)));

    public override string Settings() => CodeOf(function) + "|" + string.Join(",", writes);

    protected override IEnumerable<JsonObject> Apply(IReadOnlyList<JsonObject> rows) => function(rows);
}
