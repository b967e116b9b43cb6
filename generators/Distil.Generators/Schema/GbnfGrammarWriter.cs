using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text;
using Distil.Generators.Model;
using Distil.Generators.Writing;

namespace Distil.Generators.Schema;

/// <summary>
/// Writes the GBNF grammar (llama.cpp's grammar format) of an output record: compact JSON with the
/// record's properties in declaration order, so that a local model decoding under it can only
/// produce text that parses into the record.
/// </summary>
/// <remarks>
/// Every value is bounded where the C# type is: integers get at most the digits that fit their
/// type, strings and lists the <c>[MaxLength]</c> of their property. A grammar with bounds on
/// every string and list ends within a known number of tokens, which is what lets even a model
/// with random weights finish its JSON before it runs out of tokens. Whitespace is not allowed
/// between tokens for the same reason.
/// </remarks>
internal static class GbnfGrammarWriter
{
    public static string Write(string rootId, IReadOnlyList<ObjectSpec> objects)
    {
        var byId = objects.ToDictionary(o => o.Id);
        var rules = new Rules();
        var root = rules.ObjectRule(byId[rootId], byId, isRoot: true);
        var gbnf = new StringBuilder();
        gbnf.Append("root ::= ").Append(root).Append('\n');
        foreach (var rule in rules.Written) gbnf.Append(rule.Key).Append(" ::= ").Append(rule.Value).Append('\n');
        return gbnf.ToString();
    }

    /// <summary>The named rules of one grammar, written once each, in the order first used.</summary>
    private sealed class Rules
    {
        private readonly Dictionary<string, string> _objectRuleNames = new();

        public List<KeyValuePair<string, string>> Written { get; } = new();

        public string ObjectRule(ObjectSpec obj, Dictionary<string, ObjectSpec> byId, bool isRoot = false)
        {
            if (_objectRuleNames.TryGetValue(obj.Id, out var existing)) return existing;
            var name = "object-" + _objectRuleNames.Count.ToString(CultureInfo.InvariantCulture);
            _objectRuleNames[obj.Id] = name;
            var slot = Written.Count;
            Written.Add(new KeyValuePair<string, string>(name, "")); // reserved, so recursive records stay finite

            var body = new StringBuilder("\"{\"");
            for (var i = 0; i < obj.Properties.Count; i++)
            {
                var property = obj.Properties[i];
                body.Append(' ').Append(Literal((i > 0 ? "," : "") + JsonString(property.Column) + ":"));
                body.Append(' ').Append(isRoot && property.Rules is { SameCountAs: not null } or { OneOfInput: not null }
                    ? RowRule(property, byId)
                    : Value(property.Type, property.MaxLength, byId, property.Rules));
            }
            body.Append(" \"}\"");
            Written[slot] = new KeyValuePair<string, string>(name, body.ToString());
            return name;
        }

        private string Value(TypeShape type, int? maxLength, Dictionary<string, ObjectSpec> byId, ValueRules? rules = null)
        {
            var value = type.Kind switch
            {
                // Declared rules the grammar can hold exactly: a small whole-number range, a set of values.
                ValueKind.Integer when WholeRange(rules) is { } range => "(" + string.Join(" | ", range.Select(n => Literal(n.ToString(CultureInfo.InvariantCulture)))) + ")",
                ValueKind.String when rules is { AllowedValues.Count: > 0 } => "(" + string.Join(" | ", rules.AllowedValues.Select(v => Literal(JsonString(v)))) + ")",
                ValueKind.String => StringRule(rules?.MinLength, maxLength),
                ValueKind.Boolean => Shared("boolean", "\"true\" | \"false\""),
                ValueKind.Integer => IntegerRule(type.ClrName),
                ValueKind.Number or ValueKind.Decimal when DecimalRange(rules) is { } bounded => bounded,
                ValueKind.Number or ValueKind.Decimal => Shared("number",
                    "\"-\"? (\"0\" | [1-9] [0-9]{0,14}) (\".\" [0-9]{1,15})?"),
                ValueKind.Enum => "(" + string.Join(" | ", type.EnumMembers.Select(m => Literal(JsonString(m)))) + ")",
                ValueKind.List => List(type.Element!, maxLength, byId, rules),
                _ => ObjectRule(byId[type.ObjectId], byId),
            };
            return type.IsNullable ? "(" + value + " | \"null\")" : value;
        }

        // A property whose rule depends on the row gets rules of its own, row-NAME (and row-NAME-item
        // for a list's items), that the runtime rewrites for each row (RowSchemas.Grammar); as
        // written here they hold what holds for every row.
        private string RowRule(PropertySpec property, Dictionary<string, ObjectSpec> byId)
        {
            var name = RowRuleName(property.Column);
            var type = property.Type;
            string value;
            if (type.Kind == ValueKind.List)
            {
                var itemRules = property.Rules is { Minimum: not null, Maximum: not null } rules ? new ValueRules(rules.Minimum, rules.Maximum) : null;
                Written.Add(new KeyValuePair<string, string>(name + "-item", Value(type.Element!, null, byId, itemRules)));
                value = List(type.Element!, property.MaxLength, byId, property.Rules, itemRule: name + "-item");
            }
            else
            {
                value = Value(type with { IsNullable = false }, property.MaxLength, byId, property.Rules);
            }
            Written.Add(new KeyValuePair<string, string>(name, type.IsNullable ? "(" + value + " | \"null\")" : value));
            return name;
        }

        private string List(TypeShape element, int? maxItems, Dictionary<string, ObjectSpec> byId, ValueRules? rules, string? itemRule = null)
        {
            if (maxItems == 0) return Literal("[]");
            // A range on a list bounds its items; a minimum length makes the first items required.
            var item = itemRule ?? Value(element, null, byId, rules is { Minimum: not null, Maximum: not null } ? new ValueRules(rules.Minimum, rules.Maximum) : null);
            var least = System.Math.Max(0, rules?.MinLength ?? 0);
            if (maxItems is { } cap && least > cap) least = cap;
            var more = maxItems is { } max
                ? (max == 1 ? "" : " (\",\" " + item + "){" + System.Math.Max(0, least - 1).ToString(CultureInfo.InvariantCulture) + "," + (max - 1).ToString(CultureInfo.InvariantCulture) + "}")
                : least > 1 ? " (\",\" " + item + "){" + (least - 1).ToString(CultureInfo.InvariantCulture) + ",}" : " (\",\" " + item + ")*";
            return least > 0 ? "\"[\" " + item + more + " \"]\"" : "\"[\" (" + item + more + ")? \"]\"";
        }

        // A [Range] from one whole number to another, both 0 or more and at most 256 apart, held
        // exactly: each whole part below the maximum with any decimals, the maximum with zeros only.
        private string? DecimalRange(ValueRules? rules)
        {
            if (rules is not { Minimum: { } min, Maximum: { } max } || min < 0 || min != System.Math.Floor(min) || max != System.Math.Floor(max) || max <= min || max - min > 256) return null;
            var least = (long)min;
            var most = (long)max;
            var name = "number-" + least.ToString(CultureInfo.InvariantCulture) + "-" + most.ToString(CultureInfo.InvariantCulture);
            var wholes = "(" + string.Join(" | ", Enumerable.Range(0, (int)(most - least)).Select(i => Literal((least + i).ToString(CultureInfo.InvariantCulture)))) + ")";
            return Shared(name, wholes + " (\".\" [0-9]{1,15})? | " + Literal(most.ToString(CultureInfo.InvariantCulture)) + " (\".\" \"0\"{1,15})?");
        }

        // The whole numbers of a [Range] small enough to list (at most 256 of them).
        private static IEnumerable<long>? WholeRange(ValueRules? rules)
        {
            if (rules is not { Minimum: { } min, Maximum: { } max }) return null;
            var from = (long)System.Math.Ceiling(min);
            var to = (long)System.Math.Floor(max);
            return to >= from && to - from < 256 ? Enumerable.Range(0, (int)(to - from + 1)).Select(i => from + i) : null;
        }

        // As many digits as the type holds whatever they are (int: 9, as 999,999,999 < 2^31), so
        // that every number the grammar allows parses into the property.
        private string IntegerRule(string clrName)
        {
            var (digits, signed) = clrName switch
            {
                "byte" => (2, false),
                "sbyte" => (2, true),
                "short" => (4, true),
                "ushort" => (4, false),
                "uint" => (9, false),
                "long" => (18, true),
                "ulong" => (19, false),
                _ => (9, true),
            };
            var name = (signed ? "integer-" : "natural-") + digits.ToString(CultureInfo.InvariantCulture);
            var rest = digits == 1 ? "" : " [0-9]{0," + (digits - 1).ToString(CultureInfo.InvariantCulture) + "}";
            return Shared(name, (signed ? "\"-\"? " : "") + "(\"0\" | [1-9]" + rest + ")");
        }

        // Rule: a string's length is counted in Unicode code points of the decoded text, as JSON
        // Schema's maxLength and the check after parsing (DeclaredRules.Length) count it. llama.cpp
        // matches a character class against one code point (of however many UTF-8 bytes), and each
        // escape below decodes to one code point, so char{min,max} holds exactly min to max of them.
        private string StringRule(int? minLength, int? maxLength)
        {
            var least = System.Math.Max(0, minLength ?? 0);
            if (maxLength is { } cap && least > cap) least = cap;
            var name = "string" + (least > 0 ? "-min-" + least.ToString(CultureInfo.InvariantCulture) : "")
                + (maxLength is { } most ? "-max-" + most.ToString(CultureInfo.InvariantCulture) : "");
            var repeat = maxLength is { } max
                ? "{" + least.ToString(CultureInfo.InvariantCulture) + "," + max.ToString(CultureInfo.InvariantCulture) + "}"
                : least > 0 ? "{" + least.ToString(CultureInfo.InvariantCulture) + ",}" : "*";
            var body = "\"\\\"\" char" + repeat + " \"\\\"\"";
            if (Written.Any(r => r.Key == name)) return name;
            Written.Add(new KeyValuePair<string, string>(name, body));
            if (!Written.Any(r => r.Key == "char"))
            {
                // One code point: any but quote, backslash and control characters; a short escape;
                // or a \u escape of one code point, either outside the surrogates or a high and a
                // low surrogate together (a lone surrogate would not parse).
                Written.Add(new KeyValuePair<string, string>("char", "[^\"\\\\\\x00-\\x1F\\x7F] | \"\\\\\" [\"\\\\/bfnrt] | \"\\\\u\" char-code"));
                Written.Add(new KeyValuePair<string, string>("char-code",
                    "[0-9a-cA-Ce-fE-F] hex-digit{3} | [dD] [0-7] hex-digit{2} | [dD] [89abAB] hex-digit{2} \"\\\\u\" [dD] [c-fC-F] hex-digit{2}"));
                Written.Add(new KeyValuePair<string, string>("hex-digit", "[0-9a-fA-F]"));
            }
            return name;
        }

        private string Shared(string name, string body)
        {
            if (!Written.Any(r => r.Key == name)) Written.Add(new KeyValuePair<string, string>(name, body));
            return name;
        }
    }

    /// <summary>The name of the grammar rule of a property with a row rule: <c>row-</c> and its column, in the characters rule names take.</summary>
    public static string RowRuleName(string column) =>
        "row-" + new string(column.Select(c => char.IsLetterOrDigit(c) && c < 128 ? char.ToLowerInvariant(c) : '-').ToArray());

    // A GBNF string literal: the text in double quotes, with quote and backslash escaped.
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

    private static string JsonString(string text) => JsonStringLiteral.Quote(text);
}
