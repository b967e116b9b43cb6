namespace Distil.Pipelines;

/// <summary>
/// A step kind of pipeline files (<c>"format_sft": { ... }</c>): the key that names it, the keys it
/// reads, and how it adds its step. Register it with <see cref="PipelineStepKinds.Register"/> (a
/// package: <c>[assembly: PipelineStepKind(typeof(MyKind))]</c> and
/// <see cref="PipelineStepKinds.RegisterAssembly"/>); <c>distil run</c>, <c>check</c>,
/// <c>schema</c> and <c>tasks</c> then read, check and list it with no change of their own.
/// <code>
/// public sealed class ShoutKind : PipelineFileStepKind
/// {
///     public override PipelineFileKey Key { get; } = PipelineFileKey.Options("shout", "Upper-cases a column.",
///         PipelineFileKey.Text("column", "The column (default text)."));
///     public override StepHandle Build(PipelineFileStepContext context) =>
///         context.Single().Shout(context.Text("column") ?? "text", context.StepName);
/// }
/// </code>
/// </summary>
public abstract class PipelineFileStepKind
{
    /// <summary>
    /// The key that names the kind in a step (its name, e.g. <c>format_sft</c>), with what it holds:
    /// usually <see cref="PipelineFileKey.Options"/>, an object of the kind's settings.
    /// </summary>
    public abstract PipelineFileKey Key { get; }

    /// <summary>The kind's name: the name of <see cref="Key"/>.</summary>
    public string Name => Key.Name;

    /// <summary>Keys the step may have beside <c>name</c>, <c>after</c> and <see cref="Key"/> (most kinds: none).</summary>
    public virtual IReadOnlyList<PipelineFileKey> OtherKeys => [];

    /// <summary>
    /// Adds the step a file describes to <see cref="PipelineFileStepContext.Pipeline"/> and returns it.
    /// A problem of the file is <see cref="PipelineFileStepContext.Error(string)"/>, thrown; an
    /// <see cref="ArgumentException"/> from the fluent method is said as the step's too.
    /// </summary>
    public abstract StepHandle Build(PipelineFileStepContext context);
}
