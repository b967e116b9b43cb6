using Microsoft.Extensions.AI;

namespace Distil.Pipelines;

/// <summary>
/// Counts, for a dry run over a run directory, what a task step whose prompts are known before the
/// run will take from the earlier run: the rows it replays, and of the other rows' requests
/// (recorded as the run would send them: options, seed, generation index) those with an answer kept
/// in the directory and those it will send, with the new ones' input tokens.
/// </summary>
internal sealed class ReuseCount : IDisposable
{
    private readonly TaskNode _node;
    private readonly EarlierRun _earlier;
    private readonly ITokenCounter _counter;
    private readonly IReadOnlySet<string> _replayed;
    private readonly StepRecompute? _recompute;
    private long _replayedRows;
    private long _reused;
    private long _new;
    private long _newTokens;
    private readonly RunMetrics _metrics = new();

    public ReuseCount(TaskNode node, EarlierRun earlier, ITokenCounter counter)
    {
        _node = node;
        _earlier = earlier;
        _counter = counter;
        _recompute = earlier.RecomputeOf(node);
        _replayed = earlier.ReplayedKeys(node);
    }

    /// <summary>Counts one row the step asks for (it passed the step's condition); <paramref name="index"/> is its 0-based place among them.</summary>
    public async ValueTask AddAsync(KeyedRow row, long index, CancellationToken cancellationToken)
    {
        if (_replayed.Contains(row.Key.Text))
        {
            _replayedRows++;
            return;
        }
        foreach (var request in await RequestsAsync(row, index, cancellationToken).ConfigureAwait(false))
        {
            if (_earlier.HasAnswer(_node.Task.Llm!, request.Messages, request.Options, _node.Name, row.Key.Text)) _reused++;
            else
            {
                _new++;
                _newTokens += _counter.CountTokens(request.Messages);
            }
        }
    }

    // The requests of the row's generations as the run sends them: the task runs over the row with
    // its calls recorded, not sent (what an offline batch does), behind the step's column mappings.
    private async Task<IReadOnlyList<OfflineBatchRequest>> RequestsAsync(KeyedRow row, long index, CancellationToken cancellationToken)
    {
        if (_node.Task.Llm is not { } llm) return [];
        var recorder = new RecordedCalls(_node.Task.Name);
        var run = MappedTaskRun.Of(_node.Task.CreateRun(llm, recorder, _metrics, _node.Name), _node.Mappings);
        await run.RunRowAsync((System.Text.Json.Nodes.JsonObject)row.Row.DeepClone(), row.Key.Text, index, cancellationToken).ConfigureAwait(false);
        return recorder.Requests;
    }

    /// <summary>What was counted, priced with <paramref name="price"/> when there is one.</summary>
    public StepReuse Result((decimal InputPerMillion, decimal OutputPerMillion)? price, int? maxTokens, bool exact)
    {
        decimal? low = price is { } p ? p.InputPerMillion * _newTokens / 1_000_000m : null;
        decimal? high = price is { } q && maxTokens is { } most ? low + q.OutputPerMillion * _new * most / 1_000_000m : null;
        var note = _node.Task.MakesDependentCalls ? "each generation's first call is counted; the calls after it depend on its answer"
            : _node.Task.Reasks > 0 ? "re-asks of answers that do not fit are not counted (a re-ask answered before is reused too)"
            : null;
        return new StepReuse(_recompute, _replayedRows, _reused, _new, exact)
        {
            NewInputTokens = _newTokens,
            NewMinCost = low,
            NewMaxCost = high,
            Note = note,
        };
    }

    public void Dispose() => _metrics.Dispose();
}
