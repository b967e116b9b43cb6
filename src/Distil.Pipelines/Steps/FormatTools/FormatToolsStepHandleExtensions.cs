namespace Distil.Pipelines;

/// <summary>The <c>format_tools</c> step: tool conversations for fine-tuning (<see cref="FormatTools"/>).</summary>
public static class FormatToolsStepHandleExtensions
{
    /// <summary>
    /// Adds <paramref name="messages"/> and <paramref name="tools"/>: the conversation the task
    /// named <paramref name="task"/> had with the model (its prompt, each assistant turn with its
    /// tool calls, each tool's result, the final answer), read from its trajectory column
    /// <c>tool_trajectory_&lt;task&gt;</c>, and the task's tools with their JSON schemas, in the
    /// layout <paramref name="format"/> says. Rows without a final answer (a failed generation, or
    /// one still asking for tools after its last round) are left out; grouped generations give a
    /// row each. Keep only the two columns for an upload: <c>.FormatTools("answer").KeepColumns("messages", "tools")</c>.
    /// </summary>
    /// <param name="step">The step after the task (or the task's step itself).</param>
    /// <param name="task">The name of the task step whose conversations to export: a task with tools, earlier in the pipeline.</param>
    /// <param name="format">OpenAI's fine-tuning format (default) or the Hugging Face layout.</param>
    /// <param name="messages">The messages column (default <c>messages</c>).</param>
    /// <param name="tools">The tools column (default <c>tools</c>).</param>
    /// <param name="name">The step's name (default <c>format_tools</c>, numbered when taken).</param>
    /// <exception cref="ArgumentException">No task step of that name is in the pipeline (the message lists the task steps there are).</exception>
    /// <example><c>pipeline.Load(rows).Then(planner).FormatTools(task: "trip_planner").KeepColumns("messages", "tools").Write("ft.jsonl")</c></example>
    public static StepHandle FormatTools(this StepHandle step,
        string task,
        ToolExportFormat format = ToolExportFormat.OpenAI,
        [WritesColumn("list<object>")] string messages = "messages",
        [WritesColumn("list<object>")] string tools = "tools",
        string? name = null)
    {
        ArgumentNullException.ThrowIfNull(step);
        ArgumentException.ThrowIfNullOrWhiteSpace(task);
        ArgumentException.ThrowIfNullOrWhiteSpace(messages);
        ArgumentException.ThrowIfNullOrWhiteSpace(tools);
        if (!Enum.IsDefined(format)) throw new ArgumentOutOfRangeException(nameof(format), format, "Use ToolExportFormat.OpenAI or ToolExportFormat.HuggingFace.");
        var node = step.Pipeline.Steps.OfType<TaskNode>().FirstOrDefault(n => n.Name == task);
        if (node is null)
        {
            var names = step.Pipeline.Steps.OfType<TaskNode>().Select(n => $"'{n.Name}'").ToList();
            throw new ArgumentException(
                $"FormatTools: the pipeline has no task step named '{task}'" + (names.Count == 0 ? " (it has no task steps)." : $"; its task steps are {string.Join(", ", names)}."),
                nameof(task));
        }
        return step.Then(new FormatToolsStep(name ?? step.Pipeline.NewStepName("format_tools"), node.Task, format, messages, tools));
    }
}
