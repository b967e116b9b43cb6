namespace Distil;

/// <summary>
/// One entry of a generation's tool trajectory, as the typed column <c>tool_trajectory_&lt;task&gt;</c>
/// keeps it: a message of the prompt, an assistant turn (one entry per tool call it asks for, the
/// turn's text on the first), or a tool's result.
/// </summary>
/// <param name="Role">Who speaks: <c>system</c>, <c>user</c>, <c>assistant</c> or <c>tool</c>.</param>
/// <param name="Content">The message's text (a prompt message, or what the assistant said); null for tool results and silent calls.</param>
/// <param name="ToolName">The tool called (assistant entries) or answering (tool entries); null otherwise.</param>
/// <param name="ToolCallId">The id that pairs a call with its result.</param>
/// <param name="Arguments">The call's arguments as JSON text.</param>
/// <param name="Result">The tool's result as text, as the model was given it; null when the call failed.</param>
/// <param name="Error">Why the call failed (the tool threw, timed out, or does not exist), as the model was told; null when it answered.</param>
/// <param name="ElapsedMs">How long the call ran, in milliseconds (as first run, for a call kept from an earlier run).</param>
public sealed record ToolTrajectoryEntry(
    string Role,
    string? Content,
    string? ToolName = null,
    string? ToolCallId = null,
    string? Arguments = null,
    string? Result = null,
    string? Error = null,
    long? ElapsedMs = null);
