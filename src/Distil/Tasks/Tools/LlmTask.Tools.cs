using Microsoft.Extensions.AI;

namespace Distil;

// The tools a task may call, and the typed column that keeps what they did.
public abstract partial class LlmTask
{
    private List<AITool>? _tools;

    /// <summary>
    /// The tools the model may call while it answers (empty by default). Each
    /// <see cref="AIFunction"/> the model asks for is run by the task, its result sent back, until
    /// the model answers without a call (see <see cref="ToolOptions"/>); other <see cref="AITool"/>
    /// kinds (a provider's own tools) are passed to the provider as they are. Methods of the task
    /// marked <see cref="ToolAttribute"/> are in the list already. Tools run with the rights of
    /// the process.
    /// </summary>
    /// <example>
    /// <code>
    /// task.Tools.Add(AIFunctionFactory.Create((string city) => Weather.Today(city), "weather", "Today's weather in a city."));
    /// </code>
    /// </example>
    public IList<AITool> Tools => _tools ??= [.. DeclaredTools()];

    /// <summary>How tool calls are run: rounds, timeout, parallelism (see <see cref="Distil.ToolOptions"/>).</summary>
    public ToolOptions ToolOptions
    {
        get;
        set => field = value ?? throw new ArgumentNullException(nameof(value));
    } = new();

    /// <summary>
    /// The tools declared on the task with <see cref="ToolAttribute"/>: generated, with each tool's
    /// name, description and parameter schema written at build time. Default: none.
    /// </summary>
    protected virtual IEnumerable<AITool> DeclaredTools() => [];

    /// <summary>True when the task has tools: its rows get a <see cref="TrajectoryColumn"/>.</summary>
    internal bool HasTools => Tools.Count > 0;

    /// <summary>
    /// The task's tools and the options that change answers, as text (part of a pipeline step's
    /// signature: other tools, other results); null for a task without tools.
    /// </summary>
    internal string? DescribeTools()
    {
        if (!HasTools) return null;
        var options = new ChatOptions { Tools = [.. Tools] };
        return $"max_rounds={ToolOptions.MaxToolRounds};{ResponseCachingChatClient.ToolsIdentity(options)}";
    }

    /// <summary>The column that keeps each generation's tool trajectory: <c>tool_trajectory_&lt;name&gt;</c>.</summary>
    public string TrajectoryColumn => "tool_trajectory_" + Name;

    /// <summary>The type of one trajectory: a list of <see cref="ToolTrajectoryEntry"/> structs.</summary>
    public static ColumnType TrajectoryType { get; } = ColumnType.ListOf(ColumnType.StructOf(
        new Column("role", ColumnType.String),
        new Column("content", ColumnType.String),
        new Column("tool_name", ColumnType.String),
        new Column("tool_call_id", ColumnType.String),
        new Column("arguments", ColumnType.String),
        new Column("result", ColumnType.String),
        new Column("error", ColumnType.String),
        new Column("elapsed_ms", ColumnType.Integer)));
}
