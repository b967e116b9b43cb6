using System.Collections.Generic;
using System.Linq;
using Microsoft.CodeAnalysis;

namespace Distil.Generators.Parsing;

/// <summary>
/// Reads the most characters (strings) or items (lists) a property may hold from the
/// DataAnnotations attributes .NET developers already use: <c>[MaxLength(n)]</c>,
/// <c>[StringLength(n)]</c> and <c>[Length(min, max)]</c>. The grammar of local structured
/// output bounds values by it.
/// </summary>
internal static class MaxLengthAttributes
{
    private const string Namespace = "System.ComponentModel.DataAnnotations";

    public static readonly HashSet<string> ShortNames = new()
    {
        "MaxLength", "MaxLengthAttribute", "StringLength", "StringLengthAttribute", "Length", "LengthAttribute",
    };

    public static bool IsMaxLength(INamedTypeSymbol? attributeType) =>
        KnownTypes.Is(attributeType, Namespace, "MaxLengthAttribute")
        || KnownTypes.Is(attributeType, Namespace, "StringLengthAttribute")
        || KnownTypes.Is(attributeType, Namespace, "LengthAttribute");

    /// <summary>The bound given by one of these attributes on <paramref name="symbol"/>, if any.</summary>
    public static int? Of(ISymbol symbol)
    {
        foreach (var attribute in symbol.GetAttributes())
        {
            if (attribute.AttributeClass is { } type && IsMaxLength(type))
            {
                return Read(type, attribute.ConstructorArguments.Select(a => a.Value).ToArray());
            }
        }
        return null;
    }

    /// <summary>The bound from the positional arguments of an attribute of <paramref name="type"/>.</summary>
    public static int? Read(INamedTypeSymbol type, IReadOnlyList<object?> arguments)
    {
        // [Length(min, max)] gives the bound second; the others first. [MaxLength] without an
        // argument means "as long as the store allows", which is no bound.
        var index = type.Name == "LengthAttribute" ? 1 : 0;
        return arguments.Count > index && arguments[index] is int bound && bound >= 0 ? bound : null;
    }
}
