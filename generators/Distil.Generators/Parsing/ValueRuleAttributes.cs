using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using Distil.Generators.Model;
using Microsoft.CodeAnalysis;

namespace Distil.Generators.Parsing;

/// <summary>
/// Reads the rules a value must keep from the DataAnnotations attributes .NET developers already
/// use on output properties: <c>[Range(min, max)]</c>, <c>[MinLength(n)]</c>,
/// <c>[MaxLength(n)]</c>, <c>[Length(min, max)]</c>, <c>[AllowedValues(...)]</c> and
/// <c>[RegularExpression(pattern)]</c>. They flow into the JSON schema and into the check a run
/// makes of every parsed answer.
/// </summary>
internal static class ValueRuleAttributes
{
    private const string Namespace = "System.ComponentModel.DataAnnotations";

    public static readonly HashSet<string> ShortNames = new()
    {
        "Range", "RangeAttribute", "MinLength", "MinLengthAttribute", "MaxLength", "MaxLengthAttribute",
        "Length", "LengthAttribute", "AllowedValues", "AllowedValuesAttribute", "RegularExpression", "RegularExpressionAttribute",
        "SameCountAs", "SameCountAsAttribute", "OneOf", "OneOfAttribute",
    };

    private static readonly string[] TypeNames =
    {
        "RangeAttribute", "MinLengthAttribute", "MaxLengthAttribute", "LengthAttribute", "AllowedValuesAttribute", "RegularExpressionAttribute",
    };

    public static bool IsRule(INamedTypeSymbol? attributeType) =>
        TypeNames.Any(name => KnownTypes.Is(attributeType, Namespace, name))
        || KnownTypes.Is(attributeType, "Distil", "SameCountAsAttribute") || KnownTypes.Is(attributeType, "Distil", "OneOfAttribute");

    /// <summary>The rules given by the attributes of <paramref name="symbols"/> (a property and its constructor parameter).</summary>
    public static ValueRules? Of(params ISymbol?[] symbols)
    {
        ValueRules? rules = null;
        foreach (var symbol in symbols)
        {
            if (symbol is null) continue;
            foreach (var attribute in symbol.GetAttributes())
            {
                if (attribute.AttributeClass is { } type && IsRule(type))
                {
                    rules = Add(rules, type, Flatten(attribute.ConstructorArguments));
                }
            }
        }
        return rules;
    }

    // params arrays arrive as one array argument; the rules read them as a flat list.
    private static object?[] Flatten(IEnumerable<TypedConstant> arguments) =>
        arguments.SelectMany(a => a.Kind == TypedConstantKind.Array ? a.Values.Select(v => v.Value) : new[] { a.Value }).ToArray();

    /// <summary><paramref name="rules"/> with the rule of one attribute of <paramref name="type"/> added.</summary>
    public static ValueRules? Add(ValueRules? rules, INamedTypeSymbol type, IReadOnlyList<object?> arguments)
    {
        var current = rules ?? new ValueRules();
        switch (type.Name)
        {
            case "RangeAttribute" when arguments.Count >= 2 && Number(arguments[0]) is { } min && Number(arguments[1]) is { } max:
                return current with { Minimum = min, Maximum = max };
            case "MinLengthAttribute" when arguments.Count >= 1 && arguments[0] is int least:
                return current with { MinLength = least };
            case "MaxLengthAttribute" when arguments.Count >= 1 && arguments[0] is int most:
                return current with { MaxLength = most };
            case "LengthAttribute" when arguments.Count >= 2 && arguments[0] is int from && arguments[1] is int to:
                return current with { MinLength = from, MaxLength = to };
            case "AllowedValuesAttribute":
                var values = arguments.Where(a => a is not null).Select(a => System.Convert.ToString(a, CultureInfo.InvariantCulture)!).ToArray();
                return values.Length == 0 ? rules : current with { AllowedValues = new EquatableArray<string>(values) };
            case "RegularExpressionAttribute" when arguments.Count >= 1 && arguments[0] is string pattern:
                return current with { Pattern = pattern };
            case "SameCountAsAttribute" when arguments.Count >= 1 && arguments[0] is string countOf:
                return current with { SameCountAs = countOf };
            case "OneOfAttribute" when arguments.Count >= 1 && arguments[0] is string valuesOf:
                return current with { OneOfInput = valuesOf };
            default:
                return rules;
        }
    }

    private static double? Number(object? value) => value switch
    {
        int i => i,
        double d => d,
        long l => l,
        float f => f,
        string s when double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var parsed) => parsed,
        _ => null,
    };
}
