using System.Text.Json.Nodes;

namespace Distil.Pipelines;

/// <summary>
/// A step that sees all rows at once, after the last has arrived (a sort, a sample, a
/// deduplication across rows): the base of a package's global steps. Derive, implement
/// <see cref="Apply(IReadOnlyList{JsonObject})"/>, and add the step with a fluent extension method
/// that calls <see cref="StepHandle.Then(PipelineStep)"/>.
/// Rule: its output rows get new keys (joins after it match by position); they are kept in the run
/// store as one answer, so a resumed run replays them and does not call
/// <see cref="Apply(IReadOnlyList{JsonObject})"/> again; a run stopped before the last row stores nothing.
/// </summary>
public abstract class AllRowsStep : PipelineStep
{
    private static readonly RowKey AllRows = new("*");

    /// <summary>Makes a step named <paramref name="name"/> (unique in its pipeline) that sees all rows.</summary>
    protected AllRowsStep(string name) : base(name)
    {
    }

    // A typed GlobalStep<TIn,TOut> is named by its kind until given a name.
    private protected AllRowsStep()
    {
    }

    /// <summary>The step's rows, made from all its input rows (in their order); it owns them and may change them.</summary>
    protected abstract IEnumerable<JsonObject> Apply(IReadOnlyList<JsonObject> rows);

    internal override async Task RunAsync(StepRun run)
    {
        var rows = new List<JsonObject>();
        await foreach (var input in run.ReadAsync(cancellationToken: run.Cancellation).ConfigureAwait(false)) rows.Add(input.Row);
        if (run.Control.StoppedEarly) return; // it needs all rows: a stopped run must not store a partial answer

        var outputs = run.Replay(AllRows);
        if (outputs is null)
        {
            outputs = Apply(rows).Select((row, i) => new KeyedRow(RowKey.Source(i), row)).ToList();
            await run.SaveAsync(AllRows, 0, outputs).ConfigureAwait(false);
        }
        await run.EmitAsync(outputs).ConfigureAwait(false);
    }
}
