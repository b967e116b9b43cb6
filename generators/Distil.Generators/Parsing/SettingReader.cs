using System.Collections.Generic;
using System.Linq;
using System.Security.Cryptography;
using System.Text;
using Distil.Generators.Model;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace Distil.Generators.Parsing;

/// <summary>
/// Reads a task's own settings (public settable properties and <c>[TemplateParameter]</c>s of the
/// class and its bases up to Distil's <c>LlmTask&lt;,&gt;</c>) and hashes its source, so that the
/// runtime needs no reflection to set a setting by name or to tell a changed task.
/// </summary>
internal static class SettingReader
{
    private const string Values = "global::Distil.SettingValues";

    /// <summary>The settings of a task, or of another kind of class when <paramref name="isBase"/> says where Distil's own bases start.</summary>
    /// <param name="dependencies">Where to record the project's types the settings are of, when the reading is to be reused.</param>
    public static IEnumerable<SettingSpec> Read(
        INamedTypeSymbol type, System.Func<INamedTypeSymbol, bool>? isBase = null, Incremental.SourceDependencies? dependencies = null)
    {
        isBase ??= IsDistilBase;
        var seen = new HashSet<string>();
        for (var current = type; current is not null && !isBase(current); current = current.BaseType)
        {
            // Asking a class for its members costs a binding pass, on every compilation: most tasks
            // declare no public property, which their syntax says for free.
            if (!DeclaresPublicProperty(current)) continue;
            foreach (var property in current.GetMembers().OfType<IPropertySymbol>())
            {
                if (property.IsStatic || property.IsIndexer || property.IsOverride || property.DeclaredAccessibility != Accessibility.Public) continue;
                if (!seen.Add(property.Name)) continue;
                var isParameter = property.GetAttributes().Any(a => KnownTypes.IsAttribute(a, "Distil", "TemplateParameterAttribute"));
                var settable = property.SetMethod is { DeclaredAccessibility: Accessibility.Public };
                if (!settable && !isParameter) continue;
                dependencies?.AddType(property.Type);
                var reader = settable ? Reader(property.Type) : null;
                yield return new SettingSpec(
                    ColumnNames.SnakeCase(property.Name),
                    property.Name,
                    property.Type.ToDisplayString(SymbolDisplayFormat.MinimallyQualifiedFormat),
                    property.Type.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat.WithMiscellaneousOptions(
                        SymbolDisplayMiscellaneousOptions.UseSpecialTypes | SymbolDisplayMiscellaneousOptions.IncludeNullableReferenceTypeModifier)),
                    Description(property),
                    reader,
                    // Init-only setters are called through an accessor: generated code cannot assign them.
                    SetterIsInit: property.SetMethod?.IsInitOnly == true,
                    // UnsafeAccessor finds a method on the exact type it is given: the declaring one.
                    DeclaringType: current.ToDisplayString());
            }
        }
    }

    /// <summary>
    /// The task's declarations (its class and its bases up to Distil's) as their tokens, so that
    /// whitespace and comments do not count: what its source hash is made of, with its templates.
    /// Nothing of where the code is (file, line) counts, nor the order of a partial class's files.
    /// </summary>
    public static string DeclarationText(INamedTypeSymbol type, System.Func<INamedTypeSymbol, bool>? isBase = null)
    {
        isBase ??= IsDistilBase;
        var text = new StringBuilder();
        for (var current = type; current is not null && !isBase(current); current = current.BaseType)
        {
            text.Append(TypeText(current));
        }
        return text.ToString();
    }

    /// <summary>
    /// The tokens of a type's declarations (one per part of a partial type, in a fixed order: the
    /// order of files in a build does not count), for a record declared outside the class that uses it.
    /// </summary>
    public static string TypeText(INamedTypeSymbol type)
    {
        var parts = new List<string>();
        foreach (var reference in type.DeclaringSyntaxReferences)
        {
            if (reference.GetSyntax() is not BaseTypeDeclarationSyntax declaration) continue;
            var part = new StringBuilder();
            foreach (var token in declaration.DescendantTokens()) part.Append(token.Text).Append(' ');
            parts.Add(part.Append('\n').ToString());
        }
        parts.Sort(System.StringComparer.Ordinal);
        return string.Concat(parts);
    }

    /// <summary>
    /// The tokens of the types of the project that <paramref name="roots"/> (a task's or step's
    /// input and output records) are made of: the records, the records and enums of their
    /// properties, and so on, except those declared inside <paramref name="owner"/> (in its own
    /// text already). A changed record changes what the code reads and writes.
    /// </summary>
    public static string RecordsText(INamedTypeSymbol owner, IEnumerable<ITypeSymbol> roots, Incremental.SourceDependencies? dependencies = null)
    {
        var text = new StringBuilder();
        var seen = new HashSet<ITypeSymbol>(SymbolEqualityComparer.Default);
        var pending = new Queue<ITypeSymbol>(roots);
        while (pending.Count > 0)
        {
            var type = pending.Dequeue();
            if (!seen.Add(type)) continue;
            switch (type)
            {
                case IArrayTypeSymbol array:
                    pending.Enqueue(array.ElementType);
                    continue;
                case INamedTypeSymbol named:
                    foreach (var argument in named.TypeArguments) pending.Enqueue(argument);
                    var definition = named.OriginalDefinition;
                    if (definition.DeclaringSyntaxReferences.Length == 0 || Within(definition, owner)) continue;
                    dependencies?.AddType(definition);
                    text.Append(TypeText(definition));
                    foreach (var property in definition.GetMembers().OfType<IPropertySymbol>())
                    {
                        if (!property.IsStatic) pending.Enqueue(property.Type);
                    }
                    continue;
            }
        }
        return text.ToString();
    }

    private static bool Within(INamedTypeSymbol type, INamedTypeSymbol owner)
    {
        for (var current = type; current is not null; current = current.ContainingType)
        {
            if (current.Equals(owner, SymbolEqualityComparer.Default)) return true;
        }
        return false;
    }

    public static string Hash(string text)
    {
        using var sha = SHA256.Create();
        var bytes = sha.ComputeHash(Encoding.UTF8.GetBytes(text));
        var hex = new StringBuilder(32);
        for (var i = 0; i < 16; i++) hex.Append(bytes[i].ToString("x2"));
        return hex.ToString();
    }

    private static bool DeclaresPublicProperty(INamedTypeSymbol type) =>
        type.DeclaringSyntaxReferences.Length == 0 // from metadata: no syntax to ask
        || type.DeclaringSyntaxReferences.Any(r => r.GetSyntax() is TypeDeclarationSyntax declaration
            && declaration.Members.OfType<PropertyDeclarationSyntax>().Any(p => p.Modifiers.Any(m => m.IsKind(Microsoft.CodeAnalysis.CSharp.SyntaxKind.PublicKeyword))));

    private static bool IsDistilBase(INamedTypeSymbol type) =>
        type.Arity == 2 && KnownTypes.Is(type.OriginalDefinition, "Distil", "LlmTask")
        || KnownTypes.Is(type, "Distil", "LlmTask") || type.SpecialType == SpecialType.System_Object;

    private static string? Description(IPropertySymbol property) =>
        property.GetAttributes()
            .FirstOrDefault(a => KnownTypes.IsAttribute(a, "System.ComponentModel", "DescriptionAttribute"))
            ?.ConstructorArguments.FirstOrDefault().Value as string;

    // The expression that reads a JSON value into the type, or null when no value can be read into it.
    private static string? Reader(ITypeSymbol type)
    {
        if (type is INamedTypeSymbol { OriginalDefinition.SpecialType: SpecialType.System_Nullable_T } nullable)
        {
            return Scalar(nullable.TypeArguments[0]) is { } inner ? $"static v => {Values}.Nullable(v, {inner})" : null;
        }
        if (type.SpecialType == SpecialType.System_String)
        {
            return type.NullableAnnotation == NullableAnnotation.Annotated ? Values + ".NullableString" : Values + ".String";
        }
        if (Scalar(type) is { } scalar) return scalar;
        if (type is IArrayTypeSymbol { Rank: 1 } array && Item(array.ElementType) is { } arrayItem)
        {
            return $"static v => global::System.Linq.Enumerable.ToArray({Values}.List(v, {arrayItem}))";
        }
        if (type is INamedTypeSymbol { Arity: 1 } list && KnownTypes.IsNamespace(list.ContainingNamespace, "System.Collections.Generic")
            && list.Name is "IReadOnlyList" or "IList" or "List" or "IEnumerable" or "ICollection" or "IReadOnlyCollection"
            && Item(list.TypeArguments[0]) is { } listItem)
        {
            return $"static v => {Values}.List(v, {listItem})";
        }
        if (type is INamedTypeSymbol { Arity: 2 } map && KnownTypes.IsNamespace(map.ContainingNamespace, "System.Collections.Generic")
            && map.Name is "IReadOnlyDictionary" or "IDictionary" or "Dictionary"
            && map.TypeArguments[0].SpecialType == SpecialType.System_String
            && Item(map.TypeArguments[1]) is { } valueItem)
        {
            return $"static v => {Values}.Dictionary(v, {valueItem})";
        }
        return null;
    }

    private static string? Item(ITypeSymbol type) =>
        type.SpecialType == SpecialType.System_String ? Values + ".String" : Scalar(type);

    private static string? Scalar(ITypeSymbol type) => type.SpecialType switch
    {
        SpecialType.System_Boolean => Values + ".Boolean",
        SpecialType.System_Int32 => Values + ".Int32",
        SpecialType.System_Int64 => Values + ".Int64",
        SpecialType.System_Double => Values + ".Double",
        SpecialType.System_Single => Values + ".Single",
        SpecialType.System_Decimal => Values + ".Decimal",
        _ when type.TypeKind == TypeKind.Enum => $"{Values}.Enum<{type.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat)}>",
        _ => null,
    };
}
