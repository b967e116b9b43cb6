using Microsoft.Extensions.AI;

namespace Distil.Pipelines;

/// <summary>
/// The checks of an APIGen-style function-calling dataset (queries with their expected calls, made
/// by the <c>apigen_generator</c> task): <see cref="ApiGenFormatCheck"/> and
/// <see cref="ApiGenExecutionCheck"/>; the semantic check is the <c>apigen_semantic_checker</c> task.
/// </summary>
public static class ApiGenStepHandleExtensions
{
    /// <summary>
    /// Checks each row's expected calls against its tool definitions: <paramref name="answers"/> is a
    /// JSON list of <c>{name, arguments}</c>, each call names a tool of <paramref name="tools"/> and
    /// its arguments fit that tool's parameter schema (required ones present, each of its type, no
    /// unknown one). Adds <c>keep_row_after_format_check</c> and <c>format_check_reason</c> (null
    /// when the row passes). By default failing rows are kept with the flag; with
    /// <paramref name="keepOnlyPassing"/> they are dropped.
    /// </summary>
    /// <example><c>generated.ExpandColumns("query", "answers").ApiGenFormatCheck(keepOnlyPassing: true)</c></example>
    public static StepHandle ApiGenFormatCheck(this StepHandle step,
        [ReadsColumn(Type = "string")] string tools = "tools",
        [ReadsColumn(Type = "string")] string answers = "answers",
        bool keepOnlyPassing = false,
        string? name = null)
    {
        ArgumentNullException.ThrowIfNull(step);
        ArgumentException.ThrowIfNullOrWhiteSpace(tools);
        ArgumentException.ThrowIfNullOrWhiteSpace(answers);
        return step.Then(new ApiGenFormatCheckStep(name ?? step.Pipeline.NewStepName("apigen_format_check"), tools, answers, keepOnlyPassing));
    }

    /// <summary>
    /// Runs each row's expected calls (<paramref name="answers"/>, a JSON list of
    /// <c>{name, arguments}</c>) against <paramref name="tools"/>, in order, and keeps what each
    /// returned in <c>execution_result</c> (a list of text). A call that names no given tool,
    /// throws, runs past <paramref name="timeout"/> (default 30 s) or answers with an MCP error
    /// fails the row: <c>keep_row_after_execution_check</c> is false and
    /// <c>execution_check_reason</c> says which call and why. By default failing rows are kept with
    /// the flag; with <paramref name="keepOnlyPassing"/> they are dropped. The tools run with the
    /// rights of the process (see docs/tools.md); a resumed run runs no row's calls again.
    /// </summary>
    /// <param name="step">The step whose rows to check.</param>
    /// <param name="tools">The tools to run: C# tools (<c>GeneratedTool</c>, <c>AIFunctionFactory.Create</c>), MCP tools, a task's <c>Tools</c>.</param>
    /// <param name="answers">The column of expected calls.</param>
    /// <param name="keepOnlyPassing">Drop failing rows instead of flagging them.</param>
    /// <param name="timeout">How long one call may run (default 30 s).</param>
    /// <param name="name">The step's name (default <c>apigen_execution_check</c>).</param>
    public static StepHandle ApiGenExecutionCheck(this StepHandle step,
        IEnumerable<AITool> tools,
        [ReadsColumn(Type = "string")] string answers = "answers",
        bool keepOnlyPassing = false,
        TimeSpan? timeout = null,
        string? name = null)
    {
        ArgumentNullException.ThrowIfNull(step);
        ArgumentNullException.ThrowIfNull(tools);
        ArgumentException.ThrowIfNullOrWhiteSpace(answers);
        var limit = timeout ?? TimeSpan.FromSeconds(30);
        if (limit <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(timeout), limit, "The timeout must be more than zero.");
        var functions = tools.OfType<AIFunction>().ToList();
        return step.Then(new ApiGenExecutionCheckStep(name ?? step.Pipeline.NewStepName("apigen_execution_check"), functions, answers, limit, keepOnlyPassing));
    }
}
