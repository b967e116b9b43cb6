using Distil.Pipelines;

[assembly: PipelineStepKind(typeof(FormatSftFileKind))]

namespace Distil.Pipelines;

/// <summary><c>"format_sft": { "prompt", "completion", "system", "output" }</c> in a pipeline file.</summary>
internal sealed class FormatSftFileKind : PipelineFileStepKind
{
    public override PipelineFileKey Key { get; } = PipelineFileKey.Options("format_sft", "Chat messages for supervised fine-tuning.",
        PipelineFileKey.Text("prompt", "The prompt column (default instruction)."),
        PipelineFileKey.Text("completion", "The answer column (default generation)."),
        PipelineFileKey.Text("system", "A system prompt."),
        PipelineFileKey.Text("output", "The messages column (default messages)."));

    public override StepHandle Build(PipelineFileStepContext context) =>
        context.Single().FormatSft(context.Text("prompt") ?? "instruction", context.Text("completion") ?? "generation",
            context.Text("system"), context.Text("output") ?? "messages", context.StepName);
}
