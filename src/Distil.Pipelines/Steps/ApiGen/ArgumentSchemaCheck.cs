using System.Text.Json;
using System.Text.Json.Nodes;

namespace Distil.Pipelines;

/// <summary>
/// Checks a call's arguments against its tool's JSON schema, the parts function calling uses:
/// required parameters present, each value of its declared type (and one of its <c>enum</c> values
/// when there are some), and no parameter the schema does not list (unless it allows others with
/// <c>"additionalProperties": true</c>). Not a full JSON-schema validator: nested objects and list
/// items are checked for their type only.
/// </summary>
internal static class ArgumentSchemaCheck
{
    /// <summary>Why <paramref name="arguments"/> do not fit <paramref name="schema"/>, or null when they do.</summary>
    public static string? Check(string tool, JsonObject schema, JsonObject arguments)
    {
        var properties = schema["properties"] as JsonObject ?? new JsonObject();
        if (schema["required"] is JsonArray required)
        {
            foreach (var name in required.Select(r => r?.GetValueKind() == JsonValueKind.String ? r.GetValue<string>() : null).OfType<string>())
            {
                if (!arguments.ContainsKey(name)) return $"the call to '{tool}' lacks the required argument '{name}'";
            }
        }
        var othersAllowed = schema["additionalProperties"] is JsonValue allowed && allowed.GetValueKind() == JsonValueKind.True;
        foreach (var (name, value) in arguments)
        {
            if (properties[name] is not JsonObject property)
            {
                if (othersAllowed) continue;
                var known = properties.Count == 0 ? "none" : string.Join(", ", properties.Select(p => p.Key));
                return $"the call to '{tool}' has the argument '{name}', which its schema does not list (it lists {known})";
            }
            if (TypeError(value, property) is { } expected)
                return $"the call to '{tool}' gives '{name}' the value {value?.ToJsonString() ?? "null"}, which is not {expected}";
        }
        return null;
    }

    // The type (or enum) a value misses, as words; null when it fits.
    private static string? TypeError(JsonNode? value, JsonObject property)
    {
        if (property["enum"] is JsonArray choices && !choices.Any(c => JsonNode.DeepEquals(c, value)))
            return $"one of {choices.ToJsonString()}";
        var types = property["type"] switch
        {
            JsonValue one when one.GetValueKind() == JsonValueKind.String => [one.GetValue<string>()],
            JsonArray many => many.Select(t => t?.GetValueKind() == JsonValueKind.String ? t.GetValue<string>() : null).OfType<string>().ToList(),
            _ => new List<string>(),
        };
        if (types.Count == 0 || types.Any(t => Fits(value, t))) return null;
        return types.Count == 1 ? $"of type {types[0]}" : $"of type {string.Join(" or ", types)}";
    }

    private static bool Fits(JsonNode? value, string type) => (type, value?.GetValueKind() ?? JsonValueKind.Null) switch
    {
        ("string", JsonValueKind.String) => true,
        ("boolean", JsonValueKind.True or JsonValueKind.False) => true,
        ("number", JsonValueKind.Number) => true,
        ("integer", JsonValueKind.Number) => value!.AsValue().TryGetValue<decimal>(out var number) && decimal.Truncate(number) == number
            || value.AsValue().TryGetValue<double>(out var real) && Math.Floor(real) == real,
        ("array", JsonValueKind.Array) => true,
        ("object", JsonValueKind.Object) => true,
        ("null", JsonValueKind.Null) => true,
        _ => false,
    };
}
