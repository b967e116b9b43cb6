namespace Distil;

/// <summary>
/// How a task with <see cref="LlmTask.Tools"/> runs the tool calls its model asks for: how many
/// rounds of calls one generation may make, how long one call may take, and whether the calls of
/// one assistant turn run at once.
/// </summary>
/// <example>
/// <code>
/// var task = new Answer { Llm = llm, ToolOptions = new() { MaxToolRounds = 3, ToolTimeout = TimeSpan.FromSeconds(5) } };
/// task.Tools.Add(AIFunctionFactory.Create((int a, int b) => a + b, "add", "Adds two integers."));
/// </code>
/// </example>
public sealed record ToolOptions
{
    /// <summary>
    /// How many rounds of tool calls one generation may make (default 8): a round is one assistant
    /// turn asking for tools and the calls it asked for. A model that still asks for tools after
    /// the last round gets no answer kept: the row's outputs are null and
    /// <c>output_error_&lt;task&gt;</c> says the rounds ran out.
    /// </summary>
    public int MaxToolRounds
    {
        get;
        init => field = value >= 1 ? value : throw new ArgumentOutOfRangeException(nameof(value), value, "MaxToolRounds must be 1 or more.");
    } = 8;

    /// <summary>
    /// How long one tool call may run (default 30 seconds). A call that takes longer is cancelled
    /// and the model is told it timed out; the run goes on.
    /// </summary>
    public TimeSpan ToolTimeout
    {
        get;
        init => field = value > TimeSpan.Zero ? value : throw new ArgumentOutOfRangeException(nameof(value), value, "ToolTimeout must be positive.");
    } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Run the calls of one assistant turn at once (default true); false runs them one after the
    /// other, in the order the model gave them (for tools that must not overlap).
    /// </summary>
    public bool ParallelToolCalls { get; init; } = true;
}
