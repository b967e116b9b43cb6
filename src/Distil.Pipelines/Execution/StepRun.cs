using System.Runtime.CompilerServices;
using System.Threading.Channels;

namespace Distil.Pipelines;

/// <summary>How a run is being stopped: at once (cancellation) or gracefully (no new rows).</summary>
internal sealed class RunControl(CancellationToken cancellation, CancellationToken graceful, bool waitForBatches = false, long? sourceRowLimit = null, Shard? shard = null)
{
    /// <summary>For a sharded run: the part of the source rows this run takes.</summary>
    public Shard? Shard { get; } = shard;

    /// <summary>Per loader: the rows its source has, and those this run took (a shard's), once it has read them all.</summary>
    public System.Collections.Concurrent.ConcurrentDictionary<string, (long Total, long Taken)> SourceRows { get; } = new(StringComparer.Ordinal);

    /// <summary>For a preview: the most rows each source gives; writers then write nothing.</summary>
    public long? SourceRowLimit { get; } = sourceRowLimit;

    /// <summary>Whether offline batch steps wait for their batches, or stop the run while they are pending.</summary>
    public bool WaitForBatches { get; } = waitForBatches;

    private int _stoppedEarly;

    /// <summary>Stops everything now; what is committed stays.</summary>
    public CancellationToken Cancellation { get; } = cancellation;

    /// <summary>Loaders read no more rows; what is in flight finishes and is committed.</summary>
    public CancellationToken Graceful { get; } = graceful;

    /// <summary>True once a loader stopped before its end: global steps and writers must not act on partial data.</summary>
    public bool StoppedEarly => Volatile.Read(ref _stoppedEarly) == 1;

    public void MarkStoppedEarly() => Volatile.Write(ref _stoppedEarly, 1);

    private int _shortOfGoal;

    /// <summary>True once a round of a <see cref="GoodRows"/> run ended with too few good rows: writers keep their old files.</summary>
    public bool ShortOfGoal => Volatile.Read(ref _shortOfGoal) == 1;

    public void MarkShortOfGoal() => Volatile.Write(ref _shortOfGoal, 1);
}

/// <summary>What one step sees of a run: its input channels, its outputs, its stored rows and its counters.</summary>
internal sealed class StepRun
{
    private readonly ChannelWriter<KeyedRow>[] _outputs;
    private readonly RunStore _store;
    private readonly bool _hasStoredRows;

    public StepRun(PipelineStep step, ChannelReader<KeyedRow>[] inputs, ChannelWriter<KeyedRow>[] outputs, RunStore store,
        bool hasStoredRows, RunMetrics metrics, RunControl control, RowSchema? inputSchema = null, string pipelineName = "")
    {
        InputSchema = inputSchema;
        PipelineName = pipelineName;
        Metrics = metrics;
        Step = step;
        Inputs = inputs;
        _outputs = outputs;
        _store = store;
        _hasStoredRows = hasStoredRows;
        Counters = new StepCounters(step, metrics);
        Control = control;
    }

    public PipelineStep Step { get; }

    /// <summary>The pipeline's logger: lines about the step's progress (an offline batch submitted, collected, pending).</summary>
    public Microsoft.Extensions.Logging.ILogger Logger { get; init; } = Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance;

    public ChannelReader<KeyedRow>[] Inputs { get; }

    public StepCounters Counters { get; }

    /// <summary>The name of the pipeline this step belongs to.</summary>
    public string PipelineName { get; }

    /// <summary>The columns and types of the rows this step reads (its first parent's schema), when known.</summary>
    public RowSchema? InputSchema { get; }

    /// <summary>The run's counters, which task steps record their calls on.</summary>
    public RunMetrics Metrics { get; }

    /// <summary>The run store, for steps that keep more than rows (offline batches).</summary>
    public RunStore Store => _store;

    public RunControl Control { get; }

    public CancellationToken Cancellation => Control.Cancellation;

    /// <summary>The rows of input <paramref name="index"/>, counted as they arrive.</summary>
    public async IAsyncEnumerable<KeyedRow> ReadAsync(int index = 0, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var reader = Inputs[index];
        while (await reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
        {
            while (reader.TryRead(out var row))
            {
                Counters.RowRead();
                yield return row;
            }
        }
    }

    /// <summary>
    /// The stored rows this step computes again instead of replaying: its own rows whose LLM calls
    /// failed for good in an earlier run, and rows made from such rows by the steps before it.
    /// </summary>
    public RedoneRows Redone { get; init; } = RedoneRows.None;

    /// <summary>Of <see cref="Redone"/>, the step's own failed rows: the ones a rerun asks again (and counts as retried).</summary>
    public RedoneRows Retried { get; init; } = RedoneRows.None;

    /// <summary>
    /// What this step stored for an input row in an earlier run with the same signature, if anything;
    /// null too for a stored row that is computed again (see <see cref="Redone"/>).
    /// </summary>
    public IReadOnlyList<KeyedRow>? Replay(RowKey inputKey)
    {
        if (!_hasStoredRows) return null;
        if (Redone.Covers(inputKey))
        {
            if (Retried.Holds(inputKey)) Metrics.RowRetried(Step.Name);
            return null;
        }
        var stored = _store.Find(Step.Name, inputKey);
        if (stored is not null) Counters.RowReplayed();
        return stored;
    }

    /// <summary>
    /// Commits the outputs of one input row (copied now, so later changes downstream do not leak
    /// in). With <paramref name="untilCommitted"/>, returns only once the row is on disk. With
    /// <paramref name="cost"/> (what the row's calls cost, <see cref="RunMetrics.TallyRow"/>), the run
    /// log counts those calls with the row's commit. A task step counts in
    /// <paramref name="failedGenerations"/> the row's generations whose call failed for good.
    /// </summary>
    public ValueTask SaveAsync(RowKey inputKey, long sequence, IReadOnlyList<KeyedRow> outputs, bool untilCommitted = false, StepCounts? cost = null, int failedGenerations = 0) =>
        Step.IsStored
            ? _store.SaveAsync(Step.Name, inputKey, sequence, outputs, Cancellation, untilCommitted, cost is null ? null : new RowCharges(Step.Name, outputs.Count, cost), failedGenerations)
            : ValueTask.CompletedTask;

    /// <summary>
    /// For the goal step of a <see cref="GoodRows"/> run: counts the rows it makes and passes on only
    /// the first ones its target asks for.
    /// </summary>
    public GoodRowsCut? Cut { get; init; }

    /// <summary>Sends rows to every child; each child but the last gets its own copy.</summary>
    public async ValueTask EmitAsync(IReadOnlyList<KeyedRow> rows)
    {
        foreach (var row in rows)
        {
            if (Cut is not null && !Cut.Pass(row.Key)) continue;
            for (var i = 0; i < _outputs.Length; i++)
            {
                var copy = i == _outputs.Length - 1 ? row : row with { Row = (System.Text.Json.Nodes.JsonObject)row.Row.DeepClone() };
                await _outputs[i].WriteAsync(copy, Cancellation).ConfigureAwait(false);
            }
            Counters.RowWritten();
        }
    }

    /// <summary>Ends the outputs: children see the end of their input, or the error.</summary>
    public void Complete(Exception? error = null)
    {
        // Set before the children see the end, so that a writer knows the round came up short.
        if (error is null && Cut is { Reached: false }) Control.MarkShortOfGoal();
        foreach (var output in _outputs) output.TryComplete(error);
    }
}

/// <summary>
/// One step's counters in a run: recorded on the run's <see cref="RunMetrics"/> and read back from
/// it, so the progress display, the summary and the result see the same numbers.
/// </summary>
internal sealed class StepCounters(PipelineStep step, RunMetrics metrics)
{
    private readonly StepCounts _counts = metrics.For(step.Name);

    public PipelineStep Step { get; } = step;

    /// <summary>What the run recorded for this step (rows, calls, tokens, retries...).</summary>
    public StepCounts Counts => _counts;

    public long Read => _counts.Read;

    public long Written => _counts.Written;

    public long Replayed => _counts.Replayed;

    /// <summary>Set when the step has finished all its rows.</summary>
    public bool Done { get; set; }

    public void RowRead() => metrics.RowRead(Step.Name);

    public void RowWritten() => metrics.RowWritten(Step.Name);

    public void RowReplayed() => metrics.RowReplayed(Step.Name);
}
