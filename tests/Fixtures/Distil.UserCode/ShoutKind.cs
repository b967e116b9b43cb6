using Distil.Pipelines;

[assembly: PipelineStepKind(typeof(Distil.UserCode.ShoutKind))]

namespace Distil.UserCode;

/// <summary>A pipeline-file step kind of the user's assembly: <c>"shout": { "column": "text" }</c>.</summary>
public sealed class ShoutKind : PipelineFileStepKind
{
    /// <inheritdoc />
    public override PipelineFileKey Key { get; } = PipelineFileKey.Options("shout", "Cleans a column and upper-cases it.",
        PipelineFileKey.Text("column", "The column (default text)."));

    /// <inheritdoc />
    public override StepHandle Build(PipelineFileStepContext context) =>
        context.Single().Then(new Normalize(context.StepName) { Column = context.Text("column") ?? "text", Shout = true });
}
