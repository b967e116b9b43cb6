using System.ComponentModel;
using System.Text.Json;
using System.Text.Json.Nodes;
using Distil.Parsing;

namespace Distil.Tasks;

/// <summary>
/// Writes user queries for a set of tools, each with the tool calls that answer it: the first stage
/// of an APIGen-style function-calling dataset (after it come the format, execution and semantic
/// checks, see <c>docs/tools.md</c>).
/// </summary>
/// <remarks>
/// Columns: <c>tools</c> (the tool definitions as JSON text: a list of <c>{name, description,
/// parameters}</c>, <c>parameters</c> a JSON schema; OpenAI's <c>{"type": "function", "function":
/// {...}}</c> wrapping is read too) → <c>query</c> and <c>answers</c>, two lists of
/// <see cref="Number"/> items: the queries, and for each its expected calls as JSON text
/// (<c>[{"name": "...", "arguments": {...}}]</c>). Expand them into a row per query with
/// <c>.ExpandColumns("query", "answers")</c>. An answer with no readable query is unreadable;
/// items without a query or a list of calls are left out. It has no structured-output mode (the
/// arguments take each tool's shape): the prompt asks for the JSON and the parser finds it.
/// </remarks>
[Task("apigen_generator")]
[SystemPrompt("You write realistic requests that users send to an assistant able to call functions, and the exact function calls that fulfil each request. You answer with JSON only.")]
[UserPrompt("""
These are the functions the assistant can call, as JSON (name, description and a JSON schema of the parameters):
{{ tools }}

Write {{ number }} different user {{ if number == 1 }}request{{ else }}requests{{ end }} that these functions can fulfil. {{ criteria }}
For each request, give the calls that fulfil it: each call names one of the functions above and gives every required parameter a value of the type its schema says, and no parameter the schema does not list.

Answer with a JSON list and nothing else, one item per request, of this form:
[{"query": "<the user's request>", "answers": [{"name": "<function name>", "arguments": {"<parameter>": <value>}}]}]
""")]
public sealed partial class ApiGenGenerator : LlmTask<ApiGenGenerator.Input, ApiGenGenerator.Output>
{
    private int _number = 1;

    /// <summary>The tool definitions, as JSON text.</summary>
    public sealed record Input(string Tools);

    /// <summary>The queries and, for each at the same place, its expected calls as JSON text.</summary>
    public sealed record Output(
        [property: Description("The users' requests.")] IReadOnlyList<string> Query,
        [property: Description("For each request, its function calls as JSON text: a list of {name, arguments}.")] IReadOnlyList<string> Answers);

    /// <summary>How many queries to ask for in one answer (default 1).</summary>
    [TemplateParameter]
    public int Number
    {
        get => _number;
        init => _number = value >= 1 ? value : throw new ArgumentOutOfRangeException(nameof(Number), value, "Number must be 1 or more.");
    }

    /// <summary>What makes good queries (default: varied, concrete, with the values the calls need).</summary>
    [TemplateParameter]
    public string Criteria { get; init; } =
        "Vary them: some need one call, some several; each must be concrete, holding every value its calls need, as a real user would write it.";

    /// <summary>The calls' arguments take each tool's own shape, which no one schema of the task can say.</summary>
    protected override string WhyNoStructuredOutput => "its answer holds each tool's arguments in that tool's own shape; the prompt asks for the JSON, and the parser reads it out of any surrounding text";

    // Rule: items without a query or a list of calls are left out; an answer with none left is unreadable.
    static Output? ParseOutput(string text, Input input)
    {
        using var json = LenientJson.TryParse(text);
        if (json is null) return null;
        var items = json.RootElement.ValueKind switch
        {
            JsonValueKind.Array => json.RootElement.EnumerateArray().ToList(),
            JsonValueKind.Object when json.RootElement.TryGetProperty("query", out _) => [json.RootElement],
            _ => [],
        };
        var queries = new List<string>();
        var answers = new List<string>();
        foreach (var item in items)
        {
            if (Pair(item) is not var (query, calls)) continue;
            queries.Add(query);
            answers.Add(calls);
        }
        return queries.Count == 0 ? null : new Output(queries, answers);
    }

    private static (string Query, string Answers)? Pair(JsonElement item)
    {
        if (item.ValueKind != JsonValueKind.Object) return null;
        if (!item.TryGetProperty("query", out var query) || query.ValueKind != JsonValueKind.String || string.IsNullOrWhiteSpace(query.GetString())) return null;
        if (!item.TryGetProperty("answers", out var calls)) return null;
        // A model that writes the calls as JSON text gets them read all the same.
        var list = calls.ValueKind == JsonValueKind.String ? TryParseNode(calls.GetString()!) : JsonNode.Parse(calls.GetRawText());
        return list is JsonArray ? (query.GetString()!.Trim(), list.ToJsonString()) : null;
    }

    private static JsonNode? TryParseNode(string text)
    {
        try
        {
            return JsonNode.Parse(text);
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
