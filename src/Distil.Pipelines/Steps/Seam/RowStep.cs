using System.Text.Json.Nodes;

namespace Distil.Pipelines;

/// <summary>
/// A step that turns each row into zero, one or several rows, on its own, in order: the base of a
/// package's own row steps (and of Distil's). Derive, implement <see cref="Apply(JsonObject)"/>
/// (or override <see cref="ApplyAsync(JsonObject, CancellationToken)"/> too), and add the step
/// with a fluent extension method that calls <see cref="StepHandle.Then(PipelineStep)"/>:
/// <code>
/// public sealed class Shout(string name, string column) : RowStep(name)
/// {
///     public override string Kind => "shout";
///     public override IReadOnlyList&lt;string&gt; RequiredColumns => [column];
///     public override RowSchema? SchemaAfter(IReadOnlyList&lt;RowSchema?&gt; parents) => parents[0];
///     public override string Settings() => column;
///     protected override IReadOnlyList&lt;JsonObject&gt; Apply(JsonObject row)
///     {
///         row[column] = ((string?)row[column])?.ToUpperInvariant();
///         return [row];
///     }
/// }
/// </code>
/// Rule: the rows a step made from a row are kept in the run store; a resumed run replays them and
/// does not call <see cref="Apply(JsonObject)"/> again for that row, so it must be deterministic
/// (the same row and <see cref="PipelineStep.Settings"/> give the same rows). One row out keeps the
/// input's key; several get child keys, so joins and resumes still find them.
/// </summary>
public abstract class RowStep : PipelineStep
{
    /// <summary>Makes a row step named <paramref name="name"/> (unique in its pipeline).</summary>
    protected RowStep(string name) : base(name)
    {
    }

    // A typed step (Step<TIn,TOut>, ManyStep<TIn,TOut>) is named by its kind until given a name.
    private protected RowStep()
    {
    }

    /// <summary>
    /// The rows made from <paramref name="row"/>: none drops it, one changes it, several expand it.
    /// The step owns <paramref name="row"/> and may change and return it.
    /// </summary>
    protected abstract IReadOnlyList<JsonObject> Apply(JsonObject row);

    /// <summary>
    /// The rows made from <paramref name="row"/>, for a step that waits on something (a service, a
    /// file); by default <see cref="Apply(JsonObject)"/>. The estimate before a run uses
    /// <see cref="Apply(JsonObject)"/> only.
    /// </summary>
    protected virtual ValueTask<IReadOnlyList<JsonObject>> ApplyAsync(JsonObject row, CancellationToken cancellationToken) =>
        ValueTask.FromResult(Apply(row));

    // Distil's own row steps name the row's key in their errors; RowwiseNode gives it to them.
    private protected virtual ValueTask<IReadOnlyList<JsonObject>> ApplyKeyedAsync(JsonObject row, RowKey key, CancellationToken cancellationToken) =>
        ApplyAsync(row, cancellationToken);

    /// <summary>The rows made from <paramref name="row"/>, outside a run (for the estimate before one).</summary>
    internal virtual IReadOnlyList<JsonObject> Transform(JsonObject row, RowKey key) => Apply(row);

    /// <summary>
    /// How many rows <see cref="ApplyAsync(JsonObject, CancellationToken)"/> works on at once
    /// (default 1), for a step that waits on a service: an evaluator, a remote check. Whatever the
    /// number, rows come out in input order and each is stored as soon as it is done.
    /// </summary>
    protected virtual int MaxConcurrency => 1;

    internal override Task RunAsync(StepRun run)
    {
        var concurrency = MaxConcurrency;
        if (concurrency < 1) throw new PipelineException($"Step '{Name}' ({Kind}) asks for MaxConcurrency {concurrency}; it must be 1 or more.");
        return concurrency == 1 ? RunInTurnAsync(run) : RunAtOnceAsync(run, concurrency);
    }

    private async Task RunInTurnAsync(StepRun run)
    {
        long sequence = 0;
        await foreach (var input in run.ReadAsync(cancellationToken: run.Cancellation).ConfigureAwait(false))
        {
            var outputs = run.Replay(input.Key);
            if (outputs is null)
            {
                outputs = await MakeAsync(input, run.Cancellation).ConfigureAwait(false);
                await run.SaveAsync(input.Key, sequence, outputs).ConfigureAwait(false);
            }
            await run.EmitAsync(outputs).ConfigureAwait(false);
            sequence++;
        }
    }

    // Up to `concurrency` rows in ApplyAsync at once; stored and emitted in input order.
    private async Task RunAtOnceAsync(StepRun run, int concurrency)
    {
        var window = OrderedWindow.RunAsync(run.ReadAsync(cancellationToken: run.Cancellation), OrderedWindow.CapacityFor(concurrency), concurrency,
            async (input, index, token) =>
            {
                var stored = run.Replay(input.Key);
                return (input.Key, Index: index, Stored: stored, Made: stored is null ? await MakeAsync(input, token).ConfigureAwait(false) : null);
            },
            run.Cancellation);
        await foreach (var (key, index, stored, made) in window.ConfigureAwait(false))
        {
            if (made is not null) await run.SaveAsync(key, index, made).ConfigureAwait(false);
            await run.EmitAsync(stored ?? made!).ConfigureAwait(false);
        }
    }

    private async Task<IReadOnlyList<KeyedRow>> MakeAsync(KeyedRow input, CancellationToken cancellationToken)
    {
        var rows = await ApplyKeyedAsync(input.Row, input.Key, cancellationToken).ConfigureAwait(false)
            ?? throw new PipelineException($"Step '{Name}' returned null for row {input.Key}; return an empty list to drop a row.");
        return Keyed(input.Key, rows);
    }
}
