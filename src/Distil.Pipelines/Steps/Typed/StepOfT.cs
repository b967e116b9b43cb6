using System.Text.Json.Nodes;
using Distil.Pipelines;

namespace Distil;

/// <summary>
/// A typed step: one row in, one row out. Declare it as a <c>partial</c> class with
/// <see cref="StepAttribute"/>, nest its input and output records, and override
/// <see cref="Process(TIn)"/> (or <see cref="ProcessAsync(TIn, CancellationToken)"/>); the
/// generator writes the rest (row mapping, columns, settings, signature).
/// <code>
/// [Step("normalize")]
/// public sealed partial class Normalize : Step&lt;Normalize.Input, Normalize.Output&gt;
/// {
///     public sealed record Input(string Text);
///     public sealed record Output(string CleanText, int Length);
///     public bool Lowercase { get; set; }
///     public override Output Process(Input input) { var t = input.Text.Trim(); return new(Lowercase ? t.ToLowerInvariant() : t, t.Length); }
/// }
/// pipeline.Load&lt;Ticket&gt;(source).Then(new Normalize { Lowercase = true }).Then(new Grade { Llm = llm });
/// </code>
/// Rule: the row keeps all its columns; the output record's columns are added to it, replacing a
/// column of the same name. The row keeps its key, so joins and resumes find it. A resumed run
/// replays the stored rows and does not call <see cref="Process(TIn)"/> again for them.
/// </summary>
/// <typeparam name="TIn">The record the step reads from each row (its columns must be there).</typeparam>
/// <typeparam name="TOut">The record whose columns the step adds to the row.</typeparam>
public abstract class Step<TIn, TOut> : RowStep, ITypedStep
    where TIn : class
    where TOut : class
{
    /// <summary>Makes the step, named after its kind (<see cref="StepAttribute.Name"/>) unless <see cref="PipelineStep.Name"/> is set.</summary>
    protected Step()
    {
    }

    /// <summary>The output for one input. Override this or <see cref="ProcessAsync(TIn, CancellationToken)"/>.</summary>
    /// <exception cref="InvalidOperationException">Neither is overridden.</exception>
    public virtual TOut Process(TIn input) =>
        throw new InvalidOperationException($"Step '{Name}' ({GetType().Name}) overrides neither Process nor ProcessAsync.");

    /// <summary>The output for one input, for a step that waits on something (a service, a file); by default <see cref="Process(TIn)"/>.</summary>
    public virtual ValueTask<TOut> ProcessAsync(TIn input, CancellationToken cancellationToken) => ValueTask.FromResult(Process(input));

    /// <inheritdoc/>
    public virtual IReadOnlyList<StepSetting> StepSettings => [];

    /// <inheritdoc/>
    public abstract RowSchema InputSchema { get; }

    /// <inheritdoc/>
    public abstract RowSchema OutputSchema { get; }

    /// <summary>One row out per row in: the estimate carries the count through a typed step.</summary>
    protected internal override RowCountRule CountRows(RowCountContext input) => RowCountRule.Same();

    /// <summary>A hash of the class's declaration and its records (generated): part of the step's signature.</summary>
    protected abstract string SourceHash { get; }

    /// <summary>Reads a row into the input record (generated, no reflection).</summary>
    protected abstract TIn ReadInput(JsonObject row);

    /// <summary>Writes the output record's columns onto a row (generated).</summary>
    protected abstract void WriteOutput(TOut output, JsonObject row);

    /// <inheritdoc/>
    public override RowSchema? SchemaAfter(IReadOnlyList<RowSchema?> parents) => parents[0]?.With(OutputSchema);

    /// <inheritdoc/>
    public override string Settings() => TypedStepSignature.Of(this, this, SourceHash);

    /// <inheritdoc/>
    protected sealed override IReadOnlyList<JsonObject> Apply(JsonObject row) =>
        ApplyKeyedAsync(row, new RowKey("?"), CancellationToken.None).AsTask().GetAwaiter().GetResult();

    /// <inheritdoc/>
    protected sealed override ValueTask<IReadOnlyList<JsonObject>> ApplyAsync(JsonObject row, CancellationToken cancellationToken) =>
        ApplyKeyedAsync(row, new RowKey("?"), cancellationToken);

    private protected sealed override async ValueTask<IReadOnlyList<JsonObject>> ApplyKeyedAsync(JsonObject row, RowKey key, CancellationToken cancellationToken)
    {
        TIn input;
        try
        {
            input = ReadInput(row);
        }
        catch (Exception error) when (error is RowValueException or FormatException)
        {
            throw TypedStepSignature.Unreadable(this, $"row {key}", error);
        }
        var output = await ProcessAsync(input, cancellationToken).ConfigureAwait(false)
            ?? throw new PipelineException($"Step '{Name}' ({Kind}) returned null for row {key}; a Step gives one row per row (use a ManyStep to drop rows).");
        WriteOutput(output, row);
        return [row];
    }
}
