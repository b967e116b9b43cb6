using Microsoft.Extensions.AI;

namespace Distil;

/// <summary>
/// One generation of an input: the parsed output (null when the answer could not be read, broke a
/// rule, or the call failed), the answer's text, and what the call cost. <see cref="Text"/> and
/// <see cref="Messages"/> are those of its last call (most tasks make one).
/// </summary>
/// <typeparam name="TOutput">The task's output record.</typeparam>
/// <param name="Text">The raw answer; null when the call failed.</param>
/// <param name="Output">The parsed output; null when the answer did not parse, broke a rule (<see cref="Rejection"/>), or the call failed (<see cref="Error"/>).</param>
/// <param name="Usage">Token counts of the generation's calls, when the LLM reports them.</param>
/// <param name="ModelId">The model that answered, as the LLM names it.</param>
/// <param name="Messages">The chat sent for the last call.</param>
/// <param name="Error">Why the call failed after its retries; null when it was answered.</param>
public sealed record Generation<TOutput>(
    string? Text,
    TOutput? Output,
    UsageDetails? Usage,
    string? ModelId,
    IReadOnlyList<ChatMessage> Messages,
    Exception? Error)
    where TOutput : class
{
    /// <summary>Whether the call failed (see <see cref="Error"/>).</summary>
    public bool Failed => Error is not null;

    /// <summary>
    /// Why a parsed output was set aside: it broke a rule (a DataAnnotation on the output record, or
    /// the task's <c>CheckOutput</c>), such as <c>'scores' has 1 item for 2 responses</c>; else null.
    /// </summary>
    public string? Rejection { get; init; }

    /// <summary>
    /// Why an answered generation has no output, as <c>output_error_&lt;task&gt;</c> keeps it: the
    /// broken rule (<see cref="Rejection"/>), or why the answer could not be read (it hit the token
    /// limit, or did not follow the task's format); null when it has an output or its call failed.
    /// </summary>
    public string? OutputError { get; init; }

    /// <summary>
    /// The answers before <see cref="Text"/> that did not fit and were asked again (see
    /// <see cref="LlmTask.Reasks"/>), in order; empty when the first answer was kept.
    /// </summary>
    public IReadOnlyList<string?> EarlierAnswers { get; init; } = [];

    /// <summary>
    /// What reading the kept answer mended without the model (<c>"four" read as 4</c>,
    /// <c>"4/5" read as 4</c>); empty when it was read as written.
    /// </summary>
    public IReadOnlyList<string> Repairs { get; init; } = [];

    /// <summary>
    /// For a task with <see cref="LlmTask.Tools"/>, the generation's conversation: the prompt, each
    /// assistant turn with the tool calls it asked for, and each tool's result or error (the
    /// <c>tool_trajectory_&lt;task&gt;</c> column); null for a task without tools or a failed call.
    /// </summary>
    public IReadOnlyList<ToolTrajectoryEntry>? Trajectory { get; init; }

    internal static Generation<TOutput> FromFailure(Exception error, IReadOnlyList<ChatMessage>? messages) =>
        new(null, null, null, null, messages ?? [], error);
}

/// <summary>
/// The result of one input of <see cref="LlmTask{TInput,TOutput}.RunAsync(IAsyncEnumerable{TInput}, CancellationToken)"/>:
/// the input, its position, and its generations (<see cref="LlmTask.NumGenerations"/> of them).
/// </summary>
/// <typeparam name="TInput">The task's input record.</typeparam>
/// <typeparam name="TOutput">The task's output record.</typeparam>
/// <param name="Input">The input, as given.</param>
/// <param name="RowIndex">Its position among the inputs, from 0.</param>
/// <param name="Generations">One per generation, in generation order.</param>
public sealed record TaskResult<TInput, TOutput>(TInput Input, long RowIndex, IReadOnlyList<Generation<TOutput>> Generations)
    where TInput : class
    where TOutput : class
{
    /// <summary>The output of the first generation (the only one unless <see cref="LlmTask.NumGenerations"/> is set); null when it has none.</summary>
    public TOutput? Output => Generations.Count == 0 ? null : Generations[0].Output;
}
