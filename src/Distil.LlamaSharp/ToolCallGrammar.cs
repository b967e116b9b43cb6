using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.AI;

namespace Distil.LlamaSharp;

/// <summary>
/// Tool calls for a local model: the GBNF grammar a request with tools decodes under (a tool call
/// <c>{"name": ..., "arguments": {...}}</c> of a declared tool whose arguments fit its JSON schema,
/// or, unless a call is required, a plain answer), the prompt text that tells the model about its
/// tools, and the reading of an answer back into a <see cref="FunctionCallContent"/>.
/// </summary>
/// <remarks>
/// As the generated grammars, this one is compact JSON with bounded strings and lists (a schema's
/// <c>maxLength</c>/<c>maxItems</c>, else <see cref="DefaultMaxLength"/>/<see cref="DefaultMaxItems"/>),
/// so that any model, even one with random weights, finishes a call within its tokens.
/// </remarks>
internal static class ToolCallGrammar
{
    /// <summary>The most characters a string argument may have when its schema sets no <c>maxLength</c>.</summary>
    public const int DefaultMaxLength = 64;

    /// <summary>The most items a list argument may have when its schema sets no <c>maxItems</c>.</summary>
    public const int DefaultMaxItems = 8;

    private const int MaxDepth = 6;

    /// <summary>The functions a request lets the model call: none when its tool mode is <c>None</c>; one when it names it.</summary>
    public static IReadOnlyList<AIFunctionDeclaration> Callable(ChatOptions? options)
    {
        if (options?.Tools is not { Count: > 0 } tools || options.ToolMode is NoneChatToolMode) return [];
        var functions = tools.OfType<AIFunctionDeclaration>().ToList();
        if (options.ToolMode is RequiredChatToolMode { RequiredFunctionName: { } only })
        {
            functions = functions.Where(f => f.Name == only).ToList();
            if (functions.Count == 0)
            {
                throw new ArgumentException($"ToolMode requires the tool '{only}', which is not among the request's tools ({string.Join(", ", tools.Select(t => t.Name))}).", nameof(options));
            }
        }
        return functions;
    }

    /// <summary>True when the request requires a call (<c>RequireAny</c> or a named tool): no plain answer is allowed.</summary>
    public static bool CallRequired(ChatOptions? options) => options?.ToolMode is RequiredChatToolMode;

    /// <summary>
    /// The grammar: a call of one of <paramref name="functions"/>, or, when a call is not required,
    /// a plain answer: under <paramref name="answerGrammar"/> (the task's structured output) when
    /// there is one, else any text that does not start with <c>{</c>.
    /// </summary>
    public static string Write(IReadOnlyList<AIFunctionDeclaration> functions, bool callRequired, string? answerGrammar)
    {
        var rules = new Rules();
        var calls = new List<string>();
        for (var i = 0; i < functions.Count; i++)
        {
            var arguments = rules.Value(functions[i].JsonSchema, $"tool-{i}-args", 0);
            calls.Add($"\"{{\" {Literal(Json("name") + ":" + Json(functions[i].Name) + "," + Json("arguments") + ":")} {arguments} \"}}\"");
        }
        var grammar = new StringBuilder();
        grammar.Append("root ::= tool-call");
        if (!callRequired) grammar.Append(answerGrammar is null ? " | plain-answer" : " | answer-root");
        grammar.Append('\n');
        grammar.Append("tool-call ::= ").Append(string.Join(" | ", calls)).Append('\n');
        foreach (var rule in rules.Written) grammar.Append(rule.Key).Append(" ::= ").Append(rule.Value).Append('\n');
        if (!callRequired)
        {
            if (answerGrammar is null) grammar.Append("plain-answer ::= [^{] [^\\x00]*\n");
            else grammar.Append(Prefixed(answerGrammar, "answer-"));
        }
        return grammar.ToString();
    }

    /// <summary>The system text that tells the model which tools it has and how to call one.</summary>
    public static string Instructions(IReadOnlyList<AIFunctionDeclaration> functions, bool callRequired)
    {
        var text = new StringBuilder(callRequired
            ? "Call one of these tools. Answer with only a JSON object {\"name\": the tool's name, \"arguments\": its arguments}.\n"
            : "You may call one of these tools: to call one, answer with only a JSON object {\"name\": the tool's name, \"arguments\": its arguments}; otherwise answer as usual.\n");
        foreach (var function in functions)
        {
            text.Append("- ").Append(function.Name);
            if (!string.IsNullOrWhiteSpace(function.Description)) text.Append(": ").Append(function.Description);
            text.Append(" Arguments: ").Append(function.JsonSchema.GetRawText()).Append('\n');
        }
        return text.ToString();
    }

    /// <summary>
    /// The answer as a call when it is one: a JSON object of exactly <c>name</c> (a declared tool)
    /// and <c>arguments</c> (an object). The call's id is derived from the prompt and the answer,
    /// so that the same turn always gives the same id.
    /// </summary>
    public static FunctionCallContent? Read(string answer, IReadOnlyList<AIFunctionDeclaration> functions, string prompt)
    {
        var text = answer.Trim();
        if (!text.StartsWith('{')) return null;
        try
        {
            using var document = JsonDocument.Parse(text);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object || root.EnumerateObject().Count() != 2) return null;
            if (!root.TryGetProperty("name", out var name) || name.ValueKind != JsonValueKind.String) return null;
            if (!root.TryGetProperty("arguments", out var arguments) || arguments.ValueKind != JsonValueKind.Object) return null;
            var tool = name.GetString();
            if (functions.All(f => f.Name != tool)) return null;
            var values = new Dictionary<string, object?>(StringComparer.Ordinal);
            foreach (var property in arguments.EnumerateObject()) values[property.Name] = property.Value.Clone();
            return new FunctionCallContent(CallId(prompt, text), tool!, values);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static string CallId(string prompt, string answer)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(prompt + "\u0000" + answer));
        return "call_" + Convert.ToHexString(hash.AsSpan(0, 8)).ToLowerInvariant();
    }

    /// <summary>The rules of one grammar, written once each, in the order first made.</summary>
    private sealed class Rules
    {
        public List<KeyValuePair<string, string>> Written { get; } = [];

        /// <summary>The grammar of a value fitting <paramref name="schema"/>: a rule name or an inline expression.</summary>
        public string Value(JsonElement schema, string name, int depth)
        {
            if (schema.ValueKind == JsonValueKind.True || schema.ValueKind != JsonValueKind.Object || depth > MaxDepth) return AnyScalar();
            if (schema.TryGetProperty("const", out var constant)) return Literal(constant.GetRawText());
            if (schema.TryGetProperty("enum", out var values) && values.ValueKind == JsonValueKind.Array && values.GetArrayLength() > 0)
            {
                return "(" + string.Join(" | ", values.EnumerateArray().Select(v => Literal(Compact(v)))) + ")";
            }
            foreach (var keyword in new[] { "anyOf", "oneOf" })
            {
                if (schema.TryGetProperty(keyword, out var options) && options.ValueKind == JsonValueKind.Array && options.GetArrayLength() > 0)
                {
                    return "(" + string.Join(" | ", options.EnumerateArray().Select((o, i) => Value(o, $"{name}-{i}", depth + 1))) + ")";
                }
            }
            if (!schema.TryGetProperty("type", out var type)) return schema.TryGetProperty("properties", out _) ? Object(schema, name, depth) : AnyScalar();
            if (type.ValueKind == JsonValueKind.Array)
            {
                return "(" + string.Join(" | ", type.EnumerateArray().Select(t => OfType(t.GetString(), schema, name, depth))) + ")";
            }
            return OfType(type.GetString(), schema, name, depth);
        }

        private string OfType(string? type, JsonElement schema, string name, int depth) => type switch
        {
            "string" => StringRule(Whole(schema, "minLength"), Whole(schema, "maxLength") ?? DefaultMaxLength),
            "integer" => Shared("integer", "\"-\"? (\"0\" | [1-9] [0-9]{0,8})"),
            "number" => Shared("number", "\"-\"? (\"0\" | [1-9] [0-9]{0,14}) (\".\" [0-9]{1,15})?"),
            "boolean" => Shared("boolean", "\"true\" | \"false\""),
            "null" => "\"null\"",
            "array" => Array(schema, name, depth),
            "object" => Object(schema, name, depth),
            _ => AnyScalar(),
        };

        // Rule: required properties always, in the schema's order, then the optional ones, each
        // optional; an object with no required property gets every property (still a fit).
        private string Object(JsonElement schema, string name, int depth)
        {
            var properties = schema.TryGetProperty("properties", out var declared) && declared.ValueKind == JsonValueKind.Object
                ? declared.EnumerateObject().ToList()
                : [];
            if (properties.Count == 0) return Literal("{}");
            var required = schema.TryGetProperty("required", out var list) && list.ValueKind == JsonValueKind.Array
                ? list.EnumerateArray().Select(r => r.GetString()).ToHashSet(StringComparer.Ordinal)
                : [];
            var always = properties.Where(p => required.Contains(p.Name)).ToList();
            var optional = properties.Where(p => !required.Contains(p.Name)).ToList();
            if (always.Count == 0) (always, optional) = (properties, []);
            var body = new StringBuilder("\"{\"");
            for (var i = 0; i < always.Count; i++)
            {
                body.Append(' ').Append(Literal((i > 0 ? "," : "") + Json(always[i].Name) + ":")).Append(' ')
                    .Append(Value(always[i].Value, $"{name}-{Slug(always[i].Name)}", depth + 1));
            }
            foreach (var property in optional)
            {
                body.Append(" (").Append(Literal("," + Json(property.Name) + ":")).Append(' ')
                    .Append(Value(property.Value, $"{name}-{Slug(property.Name)}", depth + 1)).Append(")?");
            }
            body.Append(" \"}\"");
            return Named(name, body.ToString());
        }

        private string Array(JsonElement schema, string name, int depth)
        {
            var item = schema.TryGetProperty("items", out var items) ? Value(items, name + "-item", depth + 1) : AnyScalar();
            var least = Math.Max(0, Whole(schema, "minItems") ?? 0);
            var most = Math.Max(least, Whole(schema, "maxItems") ?? Math.Max(least, DefaultMaxItems));
            if (most == 0) return Literal("[]");
            var more = most == 1 ? "" : $" (\",\" {item}){{{Math.Max(0, least - 1)},{most - 1}}}";
            return Named(name, least > 0 ? $"\"[\" {item}{more} \"]\"" : $"\"[\" ({item}{more})? \"]\"");
        }

        private string StringRule(int? minLength, int maxLength)
        {
            var least = Math.Min(Math.Max(0, minLength ?? 0), maxLength);
            var name = $"string-{least}-{maxLength}";
            Shared("char", "[^\"\\\\\\x00-\\x1F\\x7F] | \"\\\\\" [\"\\\\/bfnrt]");
            return Shared(name, $"\"\\\"\" char{{{least},{maxLength}}} \"\\\"\"");
        }

        // A value whose schema says nothing usable: any short scalar.
        private string AnyScalar() =>
            Shared("any-scalar", StringRule(null, DefaultMaxLength) + " | " + Shared("number", "\"-\"? (\"0\" | [1-9] [0-9]{0,14}) (\".\" [0-9]{1,15})?") + " | \"true\" | \"false\" | \"null\"");

        private string Named(string name, string body)
        {
            Written.Add(new KeyValuePair<string, string>(name, body));
            return name;
        }

        private string Shared(string name, string body)
        {
            if (!Written.Any(r => r.Key == name)) Written.Add(new KeyValuePair<string, string>(name, body));
            return name;
        }

        private static int? Whole(JsonElement schema, string keyword) =>
            schema.TryGetProperty(keyword, out var value) && value.TryGetInt32(out var number) ? number : null;
    }

    /// <summary>
    /// <paramref name="grammar"/> with every rule name prefixed, so that it can sit beside the
    /// tool call's rules: names are renamed outside literals, character classes, repetitions and comments.
    /// </summary>
    public static string Prefixed(string grammar, string prefix)
    {
        var result = new StringBuilder(grammar.Length + 256);
        for (var i = 0; i < grammar.Length;)
        {
            var c = grammar[i];
            if (c is '"' or '[')
            {
                var close = c == '"' ? '"' : ']';
                var start = i++;
                while (i < grammar.Length && grammar[i] != close) i += grammar[i] == '\\' ? 2 : 1;
                i = Math.Min(i + 1, grammar.Length);
                result.Append(grammar, start, i - start);
            }
            else if (c is '{' or '#')
            {
                var start = i;
                var end = grammar.IndexOf(c == '{' ? '}' : '\n', i);
                i = end < 0 ? grammar.Length : end + (c == '{' ? 1 : 0);
                result.Append(grammar, start, i - start);
            }
            else if (char.IsAsciiLetterOrDigit(c) || c is '-' or '_')
            {
                var start = i;
                while (i < grammar.Length && (char.IsAsciiLetterOrDigit(grammar[i]) || grammar[i] is '-' or '_')) i++;
                result.Append(prefix).Append(grammar, start, i - start);
            }
            else
            {
                result.Append(c);
                i++;
            }
        }
        return result.ToString();
    }

    private static string Json(string text) => JsonSerializer.Serialize(text, ToolCallJson.Default.String);

    private static string Compact(JsonElement value) => JsonSerializer.Serialize(value, ToolCallJson.Default.JsonElement);

    private static string Slug(string name) =>
        new(name.Select(c => char.IsAsciiLetterOrDigit(c) ? char.ToLowerInvariant(c) : '-').ToArray());

    // A GBNF literal: the text in double quotes, quote, backslash and line breaks escaped.
    private static string Literal(string text)
    {
        var literal = new StringBuilder("\"");
        foreach (var c in text)
        {
            switch (c)
            {
                case '"' or '\\': literal.Append('\\').Append(c); break;
                case '\n': literal.Append("\\n"); break;
                case '\r': literal.Append("\\r"); break;
                case '\t': literal.Append("\\t"); break;
                default: literal.Append(c); break;
            }
        }
        return literal.Append('"').ToString();
    }
}

[System.Text.Json.Serialization.JsonSerializable(typeof(string))]
[System.Text.Json.Serialization.JsonSerializable(typeof(JsonElement))]
internal sealed partial class ToolCallJson : System.Text.Json.Serialization.JsonSerializerContext;
