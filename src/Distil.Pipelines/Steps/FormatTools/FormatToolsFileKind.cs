using Distil.Pipelines;

[assembly: PipelineStepKind(typeof(FormatToolsFileKind))]

namespace Distil.Pipelines;

/// <summary><c>"format_tools": { "task", "format", "messages", "tools" }</c> in a pipeline file.</summary>
internal sealed class FormatToolsFileKind : PipelineFileStepKind
{
    public override PipelineFileKey Key { get; } = PipelineFileKey.Options("format_tools", "Tool conversations for fine-tuning: messages with tool calls, and the tools.",
        PipelineFileKey.Text("task", "The task step whose tool conversations to export (required)."),
        PipelineFileKey.Text("format", "\"openai\" (default: OpenAI's chat fine-tuning format) or \"huggingface\" (messages and tools as chat templates read them)."),
        PipelineFileKey.Text("messages", "The messages column (default messages)."),
        PipelineFileKey.Text("tools", "The tools column (default tools)."));

    public override StepHandle Build(PipelineFileStepContext context)
    {
        var task = context.Text("task") ?? throw context.Error("\"task\" is required: the name of the task step whose tool conversations to export.");
        var format = context.Text("format") switch
        {
            null or "openai" => ToolExportFormat.OpenAI,
            "huggingface" or "hf" => ToolExportFormat.HuggingFace,
            var other => throw context.Error($"\"format\" is \"{other}\"; use \"openai\" or \"huggingface\"."),
        };
        try
        {
            return context.Single().FormatTools(task, format, context.Text("messages") ?? "messages", context.Text("tools") ?? "tools", context.StepName);
        }
        catch (ArgumentException e) when (e.ParamName == "task")
        {
            throw context.Error(e.Message.Replace($" (Parameter '{e.ParamName}')", "").Replace("FormatTools: ", ""));
        }
    }
}
