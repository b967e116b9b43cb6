using System.Text.Json.Nodes;
using Distil.Pipelines;

namespace Distil;

/// <summary>
/// A typed step that sees all rows at once, after the last has arrived (rank, sample, pick the best
/// of each group). Declared like <see cref="Step{TIn, TOut}"/>:
/// <code>
/// [Step("top_rated")]
/// public sealed partial class TopRated : GlobalStep&lt;TopRated.Row, TopRated.Row&gt;
/// {
///     public sealed record Row(string Instruction, string Generation, int Rating);
///     public int Count { get; set; } = 100;
///     public override IEnumerable&lt;Row&gt; Process(IReadOnlyList&lt;Row&gt; rows) => rows.OrderByDescending(r => r.Rating).Take(Count);
/// }
/// </code>
/// Rule: the step's rows are its outputs and hold only the output record's columns (put a column in
/// the output record to keep it); they get new keys by position. They are stored as one answer:
/// a resumed run replays them without calling <see cref="Process(IReadOnlyList{TIn})"/>, and a run
/// stopped before the last row stores nothing.
/// </summary>
/// <typeparam name="TIn">The record the step reads from every row.</typeparam>
/// <typeparam name="TOut">The record of each row the step makes.</typeparam>
public abstract class GlobalStep<TIn, TOut> : AllRowsStep, ITypedStep
    where TIn : class
    where TOut : class
{
    /// <summary>Makes the step, named after its kind unless <see cref="PipelineStep.Name"/> is set.</summary>
    protected GlobalStep()
    {
    }

    /// <summary>The step's rows, made from all its inputs (in the order the rows came).</summary>
    public abstract IEnumerable<TOut> Process(IReadOnlyList<TIn> inputs);

    /// <inheritdoc/>
    public virtual IReadOnlyList<StepSetting> StepSettings => [];

    /// <inheritdoc/>
    public abstract RowSchema InputSchema { get; }

    /// <inheritdoc/>
    public abstract RowSchema OutputSchema { get; }

    /// <summary>A hash of the class's declaration and its records (generated): part of the step's signature.</summary>
    protected abstract string SourceHash { get; }

    /// <summary>Reads a row into the input record (generated, no reflection).</summary>
    protected abstract TIn ReadInput(JsonObject row);

    /// <summary>Writes the output record's columns onto a row (generated).</summary>
    protected abstract void WriteOutput(TOut output, JsonObject row);

    /// <inheritdoc/>
    public override RowSchema? SchemaAfter(IReadOnlyList<RowSchema?> parents) => OutputSchema;

    /// <inheritdoc/>
    public override string Settings() => TypedStepSignature.Of(this, this, SourceHash);

    /// <inheritdoc/>
    protected sealed override IEnumerable<JsonObject> Apply(IReadOnlyList<JsonObject> rows)
    {
        var inputs = new List<TIn>(rows.Count);
        for (var i = 0; i < rows.Count; i++)
        {
            try
            {
                inputs.Add(ReadInput(rows[i]));
            }
            catch (Exception error) when (error is RowValueException or FormatException)
            {
                throw TypedStepSignature.Unreadable(this, $"input row {i + 1} of {rows.Count}", error);
            }
        }
        var outputs = Process(inputs) ?? throw new PipelineException($"Step '{Name}' ({Kind}) returned null; return no rows to give none.");
        foreach (var output in outputs)
        {
            var row = new JsonObject();
            WriteOutput(output ?? throw new PipelineException($"Step '{Name}' ({Kind}) returned a null row."), row);
            yield return row;
        }
    }
}
