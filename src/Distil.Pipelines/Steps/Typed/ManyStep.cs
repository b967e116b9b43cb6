using System.Text.Json.Nodes;
using Distil.Pipelines;

namespace Distil;

/// <summary>
/// A typed step that makes zero, one or several rows from each row (split a document into chunks,
/// drop a row that fails a check). Declared like <see cref="Step{TIn, TOut}"/>, with
/// <see cref="Process(TIn)"/> returning the outputs:
/// <code>
/// [Step("split_sentences")]
/// public sealed partial class SplitSentences : ManyStep&lt;SplitSentences.Input, SplitSentences.Output&gt;
/// {
///     public sealed record Input(string Text);
///     public sealed record Output(string Sentence, int Index);
///     public override IEnumerable&lt;Output&gt; Process(Input input) =>
///         input.Text.Split('.', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select((s, i) => new Output(s, i));
/// }
/// </code>
/// Rule: each output becomes a copy of the row with the output record's columns added (replacing
/// those of the same name); no output drops the row. One output keeps the row's key, several get
/// child keys. A resumed run replays the stored rows without calling <see cref="Process(TIn)"/> again.
/// </summary>
/// <typeparam name="TIn">The record the step reads from each row.</typeparam>
/// <typeparam name="TOut">The record whose columns each output row gets.</typeparam>
public abstract class ManyStep<TIn, TOut> : RowStep, ITypedStep
    where TIn : class
    where TOut : class
{
    /// <summary>Makes the step, named after its kind unless <see cref="PipelineStep.Name"/> is set.</summary>
    protected ManyStep()
    {
    }

    /// <summary>The outputs for one input (none drops the row). Override this or <see cref="ProcessAsync(TIn, CancellationToken)"/>.</summary>
    /// <exception cref="InvalidOperationException">Neither is overridden.</exception>
    public virtual IEnumerable<TOut> Process(TIn input) =>
        throw new InvalidOperationException($"Step '{Name}' ({GetType().Name}) overrides neither Process nor ProcessAsync.");

    /// <summary>The outputs for one input, for a step that waits on something; by default <see cref="Process(TIn)"/>.</summary>
    public virtual ValueTask<IEnumerable<TOut>> ProcessAsync(TIn input, CancellationToken cancellationToken) => ValueTask.FromResult(Process(input));

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
        var outputs = (await ProcessAsync(input, cancellationToken).ConfigureAwait(false)
            ?? throw new PipelineException($"Step '{Name}' ({Kind}) returned null for row {key}; return no outputs to drop a row.")).ToList();
        var rows = new List<JsonObject>(outputs.Count);
        for (var i = 0; i < outputs.Count; i++)
        {
            // The last output takes the row itself; the others a copy each.
            var target = i == outputs.Count - 1 ? row : (JsonObject)row.DeepClone();
            WriteOutput(outputs[i] ?? throw new PipelineException($"Step '{Name}' ({Kind}) returned a null output for row {key}."), target);
            rows.Add(target);
        }
        return rows;
    }
}
