using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.AI;

namespace Distil;

/// <summary>
/// The base of every Distil task: a prompt built from <typeparamref name="TInput"/>, an answer
/// parsed into <typeparamref name="TOutput"/>. Declare a <c>partial</c> class with
/// <see cref="TaskAttribute"/> and the generator implements the abstract members.
/// </summary>
/// <typeparam name="TInput">The record read from each input row.</typeparam>
/// <typeparam name="TOutput">The record parsed from each answer.</typeparam>
/// <remarks>
/// This file holds the contract: what the generator implements and the hooks a task may
/// override. How a task runs over rows is in <c>Task.Run.cs</c>; prompts shown and parsed for
/// tooling in <c>Task.Tooling.cs</c>; how calls are sent (online, recorded for an offline batch,
/// replayed from one) in <c>CallStrategies.cs</c> and <c>OfflineBatchCalls.cs</c>.
/// </remarks>
/// <example>
/// <code>
/// var task = new Summary { Llm = chatClient, NumGenerations = 2 };
/// await foreach (var row in task.ProcessAsync(rows)) Console.WriteLine(row.ToJsonString());
/// </code>
/// </example>
public abstract partial class LlmTask<TInput, TOutput> : LlmTask
    where TInput : class
    where TOutput : class
{
    private JsonElement? _schemaElement;

    /// <summary>Renders the prompt of one input: the system message, if any, then the user message.</summary>
    public abstract IReadOnlyList<ChatMessage> FormatInput(TInput input);

    /// <summary>
    /// Renders the prompt with Scriban at run time instead of the compiled template. Slower; the
    /// reference that the compiled rendering is tested against.
    /// </summary>
    public abstract IReadOnlyList<ChatMessage> FormatInputWithScriban(TInput input);

    /// <summary>
    /// Parses an answer into the output record (distilabel's name): the task's own
    /// <c>ParseOutput</c> when it has one and structured output is off, else lenient JSON of the
    /// output record. Returns null when the answer is null or cannot be parsed; never throws.
    /// Generated: to parse a text answer your way, write a <c>ParseOutput(string text, Input input)</c>
    /// method in the task and the generator calls it from here.
    /// </summary>
    public abstract TOutput? FormatOutput(string? text, TInput input);

    /// <summary>Reads the input record from a row's columns.</summary>
    /// <exception cref="RowValueException">A column is missing or holds a value of the wrong type.</exception>
    public abstract TInput ReadInput(JsonObject row);

    /// <summary>Writes the output columns into <paramref name="row"/>; all null when <paramref name="output"/> is null.</summary>
    public abstract void WriteOutput(TOutput? output, JsonObject row);

    /// <summary>
    /// Reads the input record of a row for a run. Default: <see cref="ReadInput"/>. Override it when
    /// what a row holds depends on the task's settings (columns named by a user template).
    /// </summary>
    /// <exception cref="RowValueException">A column is missing or holds a value of the wrong type.</exception>
    protected virtual TInput ReadRowInput(JsonObject row) => ReadInput(row);

    /// <summary>
    /// Checks what the record's types cannot say about an input (a list of exactly two items, a
    /// column the task's mode needs); throw a <see cref="RowValueException"/> naming the column
    /// and what was expected. The run adds the task's name and the row's index. Default: nothing.
    /// </summary>
    protected virtual void CheckInput(TInput input)
    {
    }

    /// <summary>
    /// Checks a parsed output against rules that depend on the row, which no static schema can say
    /// (one score per response, a label from the row's own list); returns why the output breaks one,
    /// or null when it keeps them all (default). A run then sets the output columns to null and
    /// keeps the reason in the metadata under <c>output_error_&lt;task&gt;</c>, apart from failed
    /// calls (<c>error_&lt;task&gt;</c>); the raw answer is kept. Runs in text and structured mode
    /// alike, before the DataAnnotations on the output record are checked (so a reason that speaks of
    /// the row, such as a wrong count, comes first); it may see values those would refuse.
    /// </summary>
    /// <example>
    /// <code>
    /// protected override string? CheckOutput(Output output, Input input) =>
    ///     output.Scores.Count == input.Responses.Count ? null : $"{output.Scores.Count} scores for {input.Responses.Count} responses";
    /// </code>
    /// </example>
    protected virtual string? CheckOutput(TOutput output, TInput input) => null;

    /// <summary>
    /// Checks a parsed output against the DataAnnotations on its record's properties
    /// (<c>[Range]</c>, <c>[MinLength]</c>, <c>[MaxLength]</c>, <c>[Length]</c>,
    /// <c>[AllowedValues]</c>, <c>[RegularExpression]</c>); written by the generator, checked
    /// after <see cref="CheckOutput"/>, with the same effect when broken.
    /// </summary>
    protected virtual string? CheckOutputAnnotations(TOutput output) => null;

    /// <summary>
    /// Checks a parsed output against the rules that depend on the row and are declared on the
    /// output record (<see cref="SameCountAsAttribute"/>, <see cref="OneOfAttribute"/>); written by
    /// the generator, checked after <see cref="CheckOutput"/> and before the other annotations.
    /// </summary>
    protected virtual string? CheckRowRules(TOutput output, TInput input) => null;

    /// <summary>
    /// The row constraints of <paramref name="input"/> (<see cref="SameCountAsAttribute"/>,
    /// <see cref="OneOfAttribute"/>) that its per-row JSON schema and grammar carry with structured
    /// output. Written by the generator; empty for a task without them.
    /// </summary>
    protected virtual IReadOnlyList<RowConstraint> RowConstraints(TInput input) => [];

    // The task's own rules of the row (the more telling reason: "3 scores for 2 responses"), then the record's declared rules.
    private string? OutputRuleBroken(TOutput output, TInput input) =>
        CheckOutput(output, input) ?? CheckRowRules(output, input) ?? CheckOutputAnnotations(output);

    /// <summary>
    /// What the output columns hold for an answer that stays unreadable (it could not be parsed, its
    /// outputs carry nothing, or it broke a rule): distilabel's shape for such an answer. Default:
    /// null, so every output column is null. A task whose outputs are lists with one item per input
    /// item returns lists of nulls of that length, as distilabel's scorers do
    /// (<c>scores: [null, null, null]</c> for three responses). A failed call is not an answer: its
    /// outputs are null whatever this returns.
    /// </summary>
    /// <example>
    /// <code>
    /// protected override Output? UnreadableOutput(Input input) => new(new double?[input.Responses.Count]);
    /// </code>
    /// </example>
    protected virtual TOutput? UnreadableOutput(TInput input) => null;

    // Rule ("nothing readable"): an answer is unreadable when it gives no output, or an output whose
    // columns carry nothing (all null, lists of nulls included); else it fits unless it breaks a rule
    // of its row. The one judgement that re-asking, the counts, the summary and ParseRow share.
    private (AnswerFit Fit, string? Rule) Judge(TOutput? output, TInput input)
    {
        if (output is null) return (AnswerFit.Unreadable, null);
        var columns = new JsonObject();
        WriteOutput(output, columns);
        if (NothingReadable.InAll(columns.Select(c => c.Value).ToList())) return (AnswerFit.Unreadable, null);
        return OutputRuleBroken(output, input) is { } rule ? (AnswerFit.BreaksRule, rule) : (AnswerFit.Fits, null);
    }

    // What one generation's answer came to: see Judge.
    private enum AnswerFit
    {
        Fits,
        Unreadable,
        BreaksRule,
    }

    /// <summary>
    /// An input whose text columns read <c>&lt;PLACEHOLDER_COLUMN&gt;</c> and other values are
    /// placeholders of their type: what <c>Print()</c> shows when given
    /// none. Generated.
    /// </summary>
    public abstract TInput PlaceholderInput();

    /// <summary>
    /// Makes one generation of <paramref name="input"/>: by default one call with
    /// <see cref="FormatInput"/>, its answer read by <see cref="FormatOutput"/>. Override it for a
    /// task whose answer takes several dependent calls (evolving an instruction over rounds, a
    /// conversation turn by turn) or per-row request options; such tasks should also override
    /// <see cref="LlmTask.MakesDependentCalls"/> when they do. Return null when the answer cannot
    /// be read: the output columns are then null and the last raw answer is kept.
    /// </summary>
    /// <param name="input">The row's input record, already checked.</param>
    /// <param name="calls">Sends the generation's requests; the last one's prompt and answer become the raw input and output.</param>
    /// <param name="cancellationToken">Cancelled when the run stops.</param>
    protected virtual async Task<TOutput?> GenerateAsync(TInput input, GenerationCalls calls, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(calls);
        var text = await calls.AskAsync(FormatInput(input)).ConfigureAwait(false);
        return FormatOutput(text, input);
    }

    /// <summary>
    /// Checks, before the first row, that the task can run against <paramref name="llm"/> (a task
    /// that needs a capability only some clients have). Throw <see cref="NotSupportedException"/>
    /// saying what is missing. Default: nothing.
    /// </summary>
    protected virtual void CheckLlm(IChatClient llm)
    {
    }

    /// <summary>
    /// Why the task has no structured-output mode (its answers are free text over several calls, or
    /// the row gives the schema), or null when it has one (default). When set, a run with
    /// <see cref="LlmTask.UseDefaultStructuredOutput"/> is refused before the first row.
    /// </summary>
    protected virtual string? WhyNoStructuredOutput => null;
}
