using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Distil;

/// <summary>
/// A rule of one output property that depends on the row (<see cref="SameCountAsAttribute"/>,
/// <see cref="OneOfAttribute"/>), as the generated code states it for one input: what the per-row
/// JSON schema and grammar of that row carry.
/// </summary>
/// <param name="Property">The output property's JSON name.</param>
/// <param name="GrammarRule">The grammar rule that holds its value (<c>row-scores</c>); its items are <c>row-scores-item</c>.</param>
/// <param name="Count">The number of items it must have, or null.</param>
/// <param name="Values">The values it (or each item) must be one of, or null.</param>
public sealed record RowConstraint(string Property, string GrammarRule, int? Count, IReadOnlyList<string>? Values)
{
    /// <summary>A list of exactly <paramref name="count"/> items.</summary>
    public static RowConstraint Exactly(string property, string grammarRule, int count) => new(property, grammarRule, count, null);

    /// <summary>A value (or items) from <paramref name="values"/>; no constraint when there are none.</summary>
    public static RowConstraint From(string property, string grammarRule, IEnumerable<string?>? values) =>
        new(property, grammarRule, null, values?.Where(v => v is not null).Select(v => v!).Distinct(StringComparer.Ordinal).ToArray() is { Length: > 0 } list ? list : null);

    internal string Key => $"{Property}:{Count?.ToString(CultureInfo.InvariantCulture)}:{(Values is null ? "" : string.Join("\u001f", Values))}";
}

/// <summary>The JSON schema and GBNF grammar of one row: the task's, with its row constraints written in.</summary>
internal static class RowSchemas
{
    public static JsonElement Schema(string schema, IReadOnlyList<RowConstraint> constraints)
    {
        var root = JsonNode.Parse(schema)!.AsObject();
        foreach (var constraint in constraints)
        {
            if (root["properties"]?[constraint.Property] is not JsonObject property) continue;
            var isList = Types(property).Contains("array");
            if (constraint.Count is { } count && isList)
            {
                property["minItems"] = count;
                property["maxItems"] = count;
            }
            if (constraint.Values is { } values)
            {
                var target = isList ? property["items"] as JsonObject : property;
                if (target is null) continue;
                var nullable = Types(target).Contains("null");
                target["enum"] = new JsonArray([.. values.Select(v => (JsonNode?)v), .. nullable ? new JsonNode?[] { null } : []]);
            }
        }
        return JsonSerializer.SerializeToElement(root, DistilJson.Default.JsonObject);
    }

    public static string Grammar(string grammar, string schema, IReadOnlyList<RowConstraint> constraints)
    {
        var properties = JsonNode.Parse(schema)!["properties"] as JsonObject;
        var lines = grammar.Split('\n').ToList();
        foreach (var constraint in constraints)
        {
            var property = properties?[constraint.Property] as JsonObject;
            var nullable = property is not null && Types(property).Contains("null");
            var isList = property is not null && Types(property).Contains("array");
            var item = constraint.GrammarRule + "-item";
            if (constraint.Values is { } values)
            {
                var alternatives = "(" + string.Join(" | ", values.Select(v => Literal(JsonSerializer.Serialize(v, DistilJson.Default.String)))) + ")";
                if (isList) Replace(lines, item, alternatives);
                else Replace(lines, constraint.GrammarRule, nullable ? "(" + alternatives + " | \"null\")" : alternatives);
            }
            if (constraint.Count is { } count && isList)
            {
                var list = count == 0 ? "\"[\" \"]\"" : count == 1
                    ? $"\"[\" {item} \"]\""
                    : $"\"[\" {item} (\",\" {item}){{{(count - 1).ToString(CultureInfo.InvariantCulture)}}} \"]\"";
                Replace(lines, constraint.GrammarRule, nullable ? "(" + list + " | \"null\")" : list);
            }
        }
        return string.Join("\n", lines);
    }

    private static void Replace(List<string> lines, string rule, string body)
    {
        var at = lines.FindIndex(l => l.StartsWith(rule + " ::= ", StringComparison.Ordinal));
        if (at < 0) throw new InvalidOperationException($"The task's grammar has no rule '{rule}' for a row constraint; rebuild the project so the generator writes it.");
        lines[at] = rule + " ::= " + body;
    }

    private static IEnumerable<string> Types(JsonObject property) => property["type"] switch
    {
        JsonValue single => [single.GetValue<string>()],
        JsonArray many => many.Select(t => (string?)t ?? ""),
        _ => property["anyOf"] is JsonArray any ? any.Select(a => (string?)a?["type"] ?? "") : [],
    };

    private static string Literal(string text)
    {
        var literal = new StringBuilder("\"");
        foreach (var c in text)
        {
            if (c is '"' or '\\') literal.Append('\\');
            if (c == '\n') { literal.Append("\\n"); continue; }
            literal.Append(c);
        }
        return literal.Append('"').ToString();
    }
}
