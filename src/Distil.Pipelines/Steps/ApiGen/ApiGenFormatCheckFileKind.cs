using Distil.Pipelines;

[assembly: PipelineStepKind(typeof(ApiGenFormatCheckFileKind))]

namespace Distil.Pipelines;

/// <summary><c>"apigen_format_check": { "tools", "answers", "keep_only_passing" }</c> in a pipeline file.</summary>
internal sealed class ApiGenFormatCheckFileKind : PipelineFileStepKind
{
    public override PipelineFileKey Key { get; } = PipelineFileKey.Options("apigen_format_check", "Checks generated function calls against their tool definitions.",
        PipelineFileKey.Text("tools", "The tool definitions column (default tools)."),
        PipelineFileKey.Text("answers", "The expected calls column (default answers)."),
        PipelineFileKey.Flag("keep_only_passing", "Drop failing rows instead of flagging them (default false)."));

    public override StepHandle Build(PipelineFileStepContext context) =>
        context.Single().ApiGenFormatCheck(context.Text("tools") ?? "tools", context.Text("answers") ?? "answers",
            context.Flag("keep_only_passing") ?? false, context.StepName);
}
