using System.Text.Json;
using System.Text.Json.Nodes;

namespace Distil.Pipelines;

/// <summary>One expected function call of a generated query: a tool's name and its arguments.</summary>
internal sealed record FunctionCall(string Name, JsonObject Arguments);

/// <summary>
/// Reads the two JSON texts of a function-calling row: the tool definitions (<c>tools</c>) and the
/// expected calls (<c>answers</c>). Each read gives the values or the reason they cannot be read.
/// </summary>
internal static class FunctionCalls
{
    /// <summary>
    /// The calls of an <c>answers</c> value: a JSON list of <c>{name, arguments}</c>, as JSON text
    /// or as a list; <c>arguments</c> may be an object or JSON text of one.
    /// </summary>
    public static (IReadOnlyList<FunctionCall>? Calls, string? Error) ReadCalls(JsonNode? value, string column)
    {
        var list = value is JsonValue text && text.GetValueKind() == JsonValueKind.String ? TryParse(text.GetValue<string>()) : value;
        if (value is null) return (null, $"'{column}' is empty");
        if (list is not JsonArray items) return (null, $"'{column}' is not a JSON list of calls");
        var calls = new List<FunctionCall>();
        for (var i = 0; i < items.Count; i++)
        {
            if (items[i] is not JsonObject item) return (null, $"call {i + 1} of '{column}' is not a JSON object");
            if (item["name"] is not JsonValue name || name.GetValueKind() != JsonValueKind.String || string.IsNullOrWhiteSpace(name.GetValue<string>()))
                return (null, $"call {i + 1} of '{column}' has no 'name'");
            var arguments = item["arguments"] switch
            {
                null => new JsonObject(),
                JsonObject argumentObject => argumentObject,
                JsonValue argumentText when argumentText.GetValueKind() == JsonValueKind.String => TryParse(argumentText.GetValue<string>()) as JsonObject,
                _ => null,
            };
            if (arguments is null) return (null, $"call {i + 1} of '{column}' ('{name.GetValue<string>()}') has arguments that are not a JSON object");
            calls.Add(new FunctionCall(name.GetValue<string>(), (JsonObject)arguments.DeepClone()));
        }
        return calls.Count == 0 ? (null, $"'{column}' holds no call") : (calls, null);
    }

    /// <summary>
    /// The parameter schema of each tool of a <c>tools</c> value: a JSON list (or JSON text of one)
    /// of <c>{name, description, parameters}</c>, or of OpenAI's <c>{"type": "function", "function": {...}}</c>.
    /// </summary>
    public static (IReadOnlyDictionary<string, JsonObject>? Tools, string? Error) ReadTools(JsonNode? value, string column)
    {
        var list = value is JsonValue text && text.GetValueKind() == JsonValueKind.String ? TryParse(text.GetValue<string>()) : value;
        if (value is null) return (null, $"'{column}' is empty");
        if (list is JsonObject single) list = new JsonArray(single.DeepClone());
        if (list is not JsonArray items) return (null, $"'{column}' is not a JSON list of tool definitions");
        var tools = new Dictionary<string, JsonObject>(StringComparer.Ordinal);
        foreach (var item in items)
        {
            var definition = item?["function"] as JsonObject ?? item as JsonObject;
            if (definition?["name"] is not JsonValue name || name.GetValueKind() != JsonValueKind.String)
                return (null, $"a tool definition in '{column}' has no 'name'");
            tools[name.GetValue<string>()] = definition["parameters"] as JsonObject ?? new JsonObject();
        }
        return (tools, null);
    }

    private static JsonNode? TryParse(string text)
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
