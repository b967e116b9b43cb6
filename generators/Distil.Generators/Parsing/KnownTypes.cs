using Microsoft.CodeAnalysis;

namespace Distil.Generators.Parsing;

/// <summary>
/// Recognises types by name and namespace without formatting them: the parser runs for every
/// task on every compilation, and <c>ToDisplayString</c> there dominated its cost.
/// </summary>
internal static class KnownTypes
{
    public static bool Is(ITypeSymbol? type, string ns, string name) =>
        type is not null && type.Name == name && IsNamespace(type.ContainingNamespace, ns) && type.ContainingType is null;

    public static bool IsAttribute(AttributeData attribute, string ns, string name) => Is(attribute.AttributeClass, ns, name);

    /// <summary>
    /// The attribute <paramref name="ns"/>.<paramref name="name"/> as written on this declaration (the
    /// other parts of a partial class may have their own), else the first of the class's.
    /// </summary>
    public static AttributeData? WrittenOn(
        Microsoft.CodeAnalysis.CSharp.Syntax.TypeDeclarationSyntax declaration,
        System.Collections.Immutable.ImmutableArray<AttributeData> attributes, string ns, string name)
    {
        AttributeData? first = null;
        foreach (var attribute in attributes)
        {
            if (!IsAttribute(attribute, ns, name)) continue;
            var applied = attribute.ApplicationSyntaxReference;
            if (applied is not null && applied.SyntaxTree == declaration.SyntaxTree && declaration.Span.Contains(applied.Span)) return attribute;
            first ??= attribute;
        }
        return first;
    }

    /// <summary>True when <paramref name="symbol"/> is the namespace written <paramref name="dotted"/> (e.g. "System.Collections.Generic").</summary>
    public static bool IsNamespace(INamespaceSymbol? symbol, string dotted)
    {
        // Compare from the innermost namespace outwards, one dotted segment at a time.
        var end = dotted.Length;
        while (symbol is { IsGlobalNamespace: false })
        {
            if (end <= 0) return false;
            var start = dotted.LastIndexOf('.', end - 1) + 1;
            var length = end - start;
            if (length != symbol.Name.Length || string.CompareOrdinal(dotted, start, symbol.Name, 0, length) != 0) return false;
            end = start - 1;
            symbol = symbol.ContainingNamespace;
        }
        return end <= 0;
    }
}
