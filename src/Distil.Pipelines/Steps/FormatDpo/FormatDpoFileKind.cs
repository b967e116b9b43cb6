using Distil.Pipelines;

[assembly: PipelineStepKind(typeof(FormatDpoFileKind))]

namespace Distil.Pipelines;

/// <summary><c>"format_dpo": { "prompt", "generations", "ratings" }</c> in a pipeline file.</summary>
internal sealed class FormatDpoFileKind : PipelineFileStepKind
{
    public override PipelineFileKey Key { get; } = PipelineFileKey.Options("format_dpo", "Chosen and rejected pairs for preference tuning.",
        PipelineFileKey.Text("prompt", "The prompt column (default instruction)."),
        PipelineFileKey.Text("generations", "The answers column (default generations)."),
        PipelineFileKey.Text("ratings", "The ratings column (default ratings)."));

    public override StepHandle Build(PipelineFileStepContext context) =>
        context.Single().FormatDpo(context.Text("prompt") ?? "instruction", context.Text("generations") ?? "generations",
            context.Text("ratings") ?? "ratings", context.StepName);
}
