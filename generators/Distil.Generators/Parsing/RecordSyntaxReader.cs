using System.Collections.Generic;
using System.Linq;
using Distil.Generators.Model;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace Distil.Generators.Parsing;

/// <summary>
/// Reads the properties of a simple record from its declaration: positional parameters and
/// public settable properties, with only their type syntax bound. Asking the record's symbol for
/// its members instead makes the compiler build every synthesized member of the record
/// (Equals, PrintMembers, Deconstruct…), and the parser runs for every task on every compilation.
/// Returns null for anything less simple (partial or generic records, base types, explicit
/// constructors, properties that restate a parameter); the symbol path reads those.
/// </summary>
internal static class RecordSyntaxReader
{
    public static List<RecordMember>? TryRead(INamedTypeSymbol type, Compilation compilation)
    {
        if (type.DeclaringSyntaxReferences.Length != 1) return null;
        var declaration = type.DeclaringSyntaxReferences[0].GetSyntax() as TypeDeclarationSyntax;
        var isRecord = declaration is RecordDeclarationSyntax { ClassOrStructKeyword.RawKind: (int)SyntaxKind.None or (int)SyntaxKind.ClassKeyword };
        if (declaration is null || !(isRecord || (declaration is ClassDeclarationSyntax && declaration.ParameterList is null))) return null;
        if (declaration.BaseList is not null || declaration.TypeParameterList is not null) return null;
        if (declaration.Modifiers.Any(SyntaxKind.PartialKeyword) || declaration.Modifiers.Any(SyntaxKind.AbstractKeyword)) return null;

        var model = compilation.GetSemanticModel(declaration.SyntaxTree);
        var members = new List<RecordMember>();
        var parameterNames = new HashSet<string>(System.StringComparer.OrdinalIgnoreCase);
        foreach (var parameter in declaration.ParameterList?.Parameters ?? default)
        {
            if (parameter.Type is null || parameter.Default is not null || parameter.Modifiers.Count > 0) return null;
            var name = parameter.Identifier.ValueText;
            parameterNames.Add(name);
            if (!TryMember(model, name, parameter.Type, parameter.AttributeLists, name, parameter.Identifier.GetLocation(), members)) return null;
        }

        foreach (var member in declaration.Members)
        {
            switch (member)
            {
                case ConstructorDeclarationSyntax constructor when !constructor.Modifiers.Any(SyntaxKind.StaticKeyword):
                    return null;
                case PropertyDeclarationSyntax property:
                    if (parameterNames.Contains(property.Identifier.ValueText)) return null;
                    if (!IsPublicSettable(property)) continue;
                    if (!TryMember(model, property.Identifier.ValueText, property.Type, property.AttributeLists, null,
                            property.Identifier.GetLocation(), members)) return null;
                    break;
            }
        }
        return members;
    }

    private static bool IsPublicSettable(PropertyDeclarationSyntax property)
    {
        if (!property.Modifiers.Any(SyntaxKind.PublicKeyword) || property.Modifiers.Any(SyntaxKind.StaticKeyword)) return false;
        if (property.ExplicitInterfaceSpecifier is not null || property.AccessorList is null) return false;
        var hasGetter = false;
        var hasPublicSetter = false;
        foreach (var accessor in property.AccessorList.Accessors)
        {
            if (accessor.IsKind(SyntaxKind.GetAccessorDeclaration)) hasGetter = true;
            if (accessor.Kind() is SyntaxKind.SetAccessorDeclaration or SyntaxKind.InitAccessorDeclaration && accessor.Modifiers.Count == 0)
                hasPublicSetter = true;
        }
        return hasGetter && hasPublicSetter;
    }

    private static bool TryMember(
        SemanticModel model, string name, TypeSyntax typeSyntax, SyntaxList<AttributeListSyntax> attributeLists,
        string? constructorParameter, Location location, List<RecordMember> members)
    {
        var type = model.GetTypeInfo(typeSyntax).Type;
        if (type is null) return false;
        // The type of a type syntax comes without its top-level annotation: take it from the syntax.
        if (typeSyntax is NullableTypeSyntax && type.IsReferenceType) type = type.WithNullableAnnotation(NullableAnnotation.Annotated);

        string? column = null;
        string? description = null;
        int? maxLength = null;
        ValueRules? rules = null;
        foreach (var list in attributeLists)
        {
            // [field: ...] and [get: ...] do not describe the property.
            if (list.Target is { } target && !target.Identifier.IsKind(SyntaxKind.PropertyKeyword) && !target.Identifier.IsKind(SyntaxKind.ParamKeyword)) continue;
            foreach (var attribute in list.Attributes)
            {
                var shortName = ShortName(attribute.Name);
                if (!IsReadAttributeName(shortName)) continue;
                var attributeType = model.GetSymbolInfo(attribute).Symbol?.ContainingType;
                if (ValueRuleAttributes.IsRule(attributeType))
                {
                    var values = (attribute.ArgumentList?.Arguments ?? default)
                        .Where(a => a.NameEquals is null)
                        .Select(a => model.GetConstantValue(a.Expression).Value)
                        .ToArray();
                    rules = ValueRuleAttributes.Add(rules, attributeType!, values);
                }
                if (MaxLengthAttributes.IsMaxLength(attributeType))
                {
                    var arguments = attribute.ArgumentList?.Arguments ?? default;
                    maxLength ??= MaxLengthAttributes.Read(attributeType!,
                        arguments.Where(a => a.NameEquals is null).Select(a => model.GetConstantValue(a.Expression).Value).ToArray());
                    continue;
                }
                var argument = attribute.ArgumentList?.Arguments.FirstOrDefault()?.Expression;
                var value = argument is null ? null : model.GetConstantValue(argument).Value as string;
                if (KnownTypes.Is(attributeType, "Distil", "ColumnAttribute")) column ??= value;
                else if (KnownTypes.Is(attributeType, "System.ComponentModel", "DescriptionAttribute")) description ??= value;
            }
        }

        members.Add(new RecordMember(name, type, column ?? ColumnNames.SnakeCase(name), description, constructorParameter, location, maxLength, Rules: rules));
        return true;
    }

    // Only these attributes matter to the model; others are not bound at all.
    private static bool IsReadAttributeName(string shortName) =>
        shortName is "Column" or "ColumnAttribute" or "Description" or "DescriptionAttribute"
            || MaxLengthAttributes.ShortNames.Contains(shortName)
            || ValueRuleAttributes.ShortNames.Contains(shortName);

    private static string ShortName(NameSyntax name) => name switch
    {
        QualifiedNameSyntax qualified => qualified.Right.Identifier.ValueText,
        AliasQualifiedNameSyntax alias => alias.Name.Identifier.ValueText,
        SimpleNameSyntax simple => simple.Identifier.ValueText,
        _ => "",
    };
}
