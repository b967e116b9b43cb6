namespace Distil.Pipelines;

/// <summary>The layout <see cref="FormatToolsStepHandleExtensions.FormatTools"/> writes a tool conversation in.</summary>
public enum ToolExportFormat
{
    /// <summary>
    /// OpenAI's chat fine-tuning format with tools: assistant <c>tool_calls</c> of
    /// <c>{id, type: "function", function: {name, arguments}}</c> with <c>arguments</c> as JSON text,
    /// <c>tool</c> messages with <c>tool_call_id</c>, and <c>tools</c> as the Chat Completions API takes them.
    /// </summary>
    OpenAI,

    /// <summary>
    /// The Hugging Face layout chat templates read (<c>apply_chat_template(messages, tools=tools)</c>):
    /// the same columns, with each call's <c>arguments</c> as a JSON object and each <c>tool</c>
    /// message naming its tool (<c>name</c>).
    /// </summary>
    HuggingFace,
}
