using System.Runtime.CompilerServices;
using System.Text.Json.Nodes;
using Distil.Pipelines;

namespace Distil;

/// <summary>
/// A typed step that makes rows from nothing: the start of a branch, added with
/// <see cref="Pipeline.Start(PipelineStep)"/>. Declared like <see cref="Step{TIn, TOut}"/>, with
/// only an output record:
/// <code>
/// [Step("topics")]
/// public sealed partial class Topics : GeneratorStep&lt;Topics.Row&gt;
/// {
///     public sealed record Row(string Topic, int Difficulty);
///     public int Levels { get; set; } = 3;
///     public override IEnumerable&lt;Row&gt; Generate() =>
///         from topic in new[] { "sql", "regex" } from level in Enumerable.Range(1, Levels) select new Row(topic, level);
/// }
/// pipeline.Start(new Topics { Levels = 2 }).Then(new WriteExercise { Llm = llm });
/// </code>
/// Rule: each row is stored as it is made, keyed by its position; once <see cref="Generate"/> has
/// ended, a resumed run replays the stored rows and does not call it again. A run stopped earlier
/// calls it again and keeps the rows it stored (so it must give the same rows in the same order for
/// the same settings). A preview (a row limit) takes the first rows only.
/// </summary>
/// <typeparam name="TOut">The record of each row the step makes.</typeparam>
public abstract class GeneratorStep<TOut> : PipelineStep, ITypedStep
    where TOut : class
{
    // Stored, with no rows, once Generate has ended: the rows before it are all there is.
    private static readonly RowKey Ended = new("*");

    /// <summary>Makes the step, named after its kind unless <see cref="PipelineStep.Name"/> is set.</summary>
    protected GeneratorStep()
    {
    }

    /// <summary>The rows to make, in a stable order. Override this or <see cref="GenerateAsync(CancellationToken)"/>.</summary>
    /// <exception cref="InvalidOperationException">Neither is overridden.</exception>
    public virtual IEnumerable<TOut> Generate() =>
        throw new InvalidOperationException($"Step '{Name}' ({GetType().Name}) overrides neither Generate nor GenerateAsync.");

    /// <summary>The rows to make, for a step that waits on something (a service, a file); by default <see cref="Generate"/>.</summary>
    public virtual async IAsyncEnumerable<TOut> GenerateAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        foreach (var output in Generate())
        {
            cancellationToken.ThrowIfCancellationRequested();
            yield return output;
        }
        await Task.CompletedTask.ConfigureAwait(false);
    }

    /// <inheritdoc/>
    public virtual IReadOnlyList<StepSetting> StepSettings => [];

    /// <summary>A generator step reads no column.</summary>
    public RowSchema InputSchema => RowSchema.Empty;

    /// <inheritdoc/>
    public abstract RowSchema OutputSchema { get; }

    /// <summary>A hash of the class's declaration and its records (generated): part of the step's signature.</summary>
    protected abstract string SourceHash { get; }

    /// <summary>Writes the output record's columns onto a row (generated).</summary>
    protected abstract void WriteOutput(TOut output, JsonObject row);

    /// <inheritdoc/>
    public override (int Min, int Max) ParentCount => (0, 0);

    /// <inheritdoc/>
    public override RowSchema? SchemaAfter(IReadOnlyList<RowSchema?> parents) => OutputSchema;

    /// <inheritdoc/>
    public override string Settings() => TypedStepSignature.Of(this, this, SourceHash);

    internal override async Task RunAsync(StepRun run)
    {
        if (run.Replay(Ended) is not null)
        {
            // Generate ended in an earlier run: its rows are all stored.
            for (long i = 0; run.Replay(RowKey.Source(i)) is { } stored; i++)
            {
                if (Stopping(run, i)) return;
                await run.EmitAsync(stored).ConfigureAwait(false);
            }
            return;
        }
        long index = 0;
        await foreach (var output in GenerateAsync(run.Cancellation).ConfigureAwait(false))
        {
            if (Stopping(run, index)) return;
            var key = RowKey.Source(index);
            var rows = run.Replay(key);
            if (rows is null)
            {
                var row = new JsonObject();
                WriteOutput(output ?? throw new PipelineException($"Step '{Name}' ({Kind}) made a null row at position {index}."), row);
                rows = [new KeyedRow(key, row)];
                await run.SaveAsync(key, index, rows).ConfigureAwait(false);
            }
            await run.EmitAsync(rows).ConfigureAwait(false);
            index++;
        }
        await run.SaveAsync(Ended, index, []).ConfigureAwait(false);
    }

    // A graceful stop ends the rows as it ends a source's; a preview takes its first rows only.
    private static bool Stopping(StepRun run, long index)
    {
        if (run.Control.Graceful.IsCancellationRequested)
        {
            run.Control.MarkStoppedEarly();
            return true;
        }
        return index >= run.Control.SourceRowLimit;
    }
}
