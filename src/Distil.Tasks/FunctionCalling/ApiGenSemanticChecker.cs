using System.ComponentModel;
using System.Text.Json;
using Distil.Parsing;

namespace Distil.Tasks;

/// <summary>
/// Judges whether a query's function calls, and what they returned, do what the query asks: the
/// semantic check of an APIGen-style function-calling dataset, a yes or no with the reason.
/// </summary>
/// <remarks>
/// Columns: <c>query</c>, <c>answers</c> (the calls as JSON text), optional <c>execution_result</c>
/// (a list with each call's result, as the execution check writes it) and optional <c>tools</c>
/// (the tool definitions as JSON text) → <c>thought</c> (the judge's reason) and
/// <c>keep_row_after_semantic_check</c> (true when the calls and results fit the query). The
/// answer is <c>{"thought": "...", "keep_row_after_semantic_check": true}</c>; <c>"passes": "yes"</c>
/// is read too. Keep only the rows that pass with a filter on that column.
/// </remarks>
[Task("apigen_semantic_checker")]
[SystemPrompt("You check function-calling data carefully and impartially. You answer with JSON only.")]
[UserPrompt("""
A user sent a request to an assistant that can call functions. Decide whether the assistant's function calls, and the results they gave, do what the user asked.
{{ if tools }}
The functions, as JSON:
{{ tools }}
{{ end }}
The request:
{{ query }}

The calls, as JSON:
{{ answers }}
{{ if execution_result }}
What each call returned, in order:
{{ for result in execution_result }}- {{ result }}
{{ end }}{{ end }}
The calls pass when they are the functions the request needs, their arguments carry the request's values (nothing invented, nothing left out), and the results make sense as an answer to it. They fail otherwise, or when a result shows an error.

Answer with JSON of this form and nothing else: {"thought": "<your reasoning, in a sentence or two>", "keep_row_after_semantic_check": true or false}
""")]
public sealed partial class ApiGenSemanticChecker : LlmTask<ApiGenSemanticChecker.Input, ApiGenSemanticChecker.Output>
{
    /// <summary>The query, its calls, what they returned, and the tool definitions.</summary>
    public sealed record Input(string Query, string Answers, IReadOnlyList<string>? ExecutionResult = null, string? Tools = null);

    /// <summary>The judge's reason and whether the row passes.</summary>
    public sealed record Output(
        [property: Description("Why the calls fit the request or not.")] string Thought,
        [property: Description("True when the calls and their results do what the request asks.")] bool KeepRowAfterSemanticCheck);

    // Rule: the verdict must be a boolean or yes/no; a reason is required (it is the check's why).
    static Output? ParseOutput(string text, Input input)
    {
        using var json = LenientJson.TryParse(text);
        if (json is null || json.RootElement.ValueKind != JsonValueKind.Object) return null;
        var root = json.RootElement;
        if (!root.TryGetProperty("thought", out var thought) || thought.ValueKind != JsonValueKind.String || string.IsNullOrWhiteSpace(thought.GetString())) return null;
        var verdict = root.TryGetProperty("keep_row_after_semantic_check", out var keep) ? Verdict(keep)
            : root.TryGetProperty("passes", out var passes) ? Verdict(passes) : null;
        return verdict is { } pass ? new Output(thought.GetString()!.Trim(), pass) : null;
    }

    private static bool? Verdict(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.True => true,
        JsonValueKind.False => false,
        JsonValueKind.String => value.GetString()!.Trim().ToLowerInvariant() switch
        {
            "yes" or "true" or "pass" => true,
            "no" or "false" or "fail" => false,
            _ => null,
        },
        _ => null,
    };
}
