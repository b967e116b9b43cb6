using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using Distil.Generators.Mapping;
using Distil.Generators.Model;
using Distil.Generators.Parsing;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace Distil.Generators.Rows;

/// <summary>
/// Finds the records a program maps to rows: the type arguments of Distil's <c>Pipeline.Load&lt;T&gt;</c>,
/// <c>StepHandle.Map&lt;TIn, TOut&gt;</c> and <c>Filter&lt;T&gt;</c>, and <c>Dataset.ReadAsync&lt;T&gt;</c> and
/// <c>ToListAsync&lt;T&gt;</c> (written or inferred), and reads each into a <see cref="RowRecordSpec"/>.
/// A record the runtime's reflection fallback would map differently is left to that fallback, so
/// both paths always agree: one with a nested record, a type the task mapping does not read
/// (<c>Guid</c>, dates, <c>ulong</c>), a read-only computed property, or one not accessible here.
/// </summary>
internal static class RowRecordReader
{
    private static readonly SymbolDisplayFormat FullyQualified =
        SymbolDisplayFormat.FullyQualifiedFormat.WithMiscellaneousOptions(
            SymbolDisplayMiscellaneousOptions.UseSpecialTypes | SymbolDisplayMiscellaneousOptions.EscapeKeywordIdentifiers);

    /// <summary>A cheap syntax test: a call of a method with one of the names (generic or inferred).</summary>
    public static bool IsCandidate(SyntaxNode node, CancellationToken _) =>
        node is InvocationExpressionSyntax { Expression: MemberAccessExpressionSyntax { Name: var name } }
        && name.Identifier.ValueText is "Load" or "Map" or "Filter" or "ReadAsync" or "ToListAsync";

    /// <summary>The row records of one call: none when it is not one of Distil's typed calls.</summary>
    public static EquatableArray<RowRecordSpec> Read(GeneratorSyntaxContext context, CancellationToken cancellationToken)
    {
        if (context.SemanticModel.GetSymbolInfo(context.Node, cancellationToken).Symbol is not IMethodSymbol { IsGenericMethod: true } method) return default;
        var owner = method.ContainingType;
        var isDistil = owner is { Name: "Pipeline" or "StepHandle" or "Dataset" } && KnownTypes.IsNamespace(owner.ContainingNamespace, "Distil.Pipelines");
        if (!isDistil) return default;
        var specs = new List<RowRecordSpec>();
        foreach (var argument in method.TypeArguments)
        {
            if (argument is INamedTypeSymbol record && ReadRecord(record, context.SemanticModel.Compilation) is { } spec) specs.Add(spec);
        }
        return specs.ToEquatableArray();
    }

    private static RowRecordSpec? ReadRecord(INamedTypeSymbol type, Compilation compilation)
    {
        if (!IsAccessible(type) || type.IsGenericType || type.IsAbstract || type.TypeKind != TypeKind.Class) return null;
        var reader = new TypeShapeReader([], compilation);
        var id = reader.ReadRoot(type, isOutput: false);
        if (id is null || reader.HasErrors) return null;
        var obj = reader.Objects.First(o => o.Id == id);
        if (obj.Properties.Any(p => Contains(p.Type, ValueKind.Object))) return null; // rows hold no nested records
        // The fallback makes every public readable property a column: a computed one must not be missed.
        if (ReadableProperties(type).Count != obj.Properties.Count) return null;

        var constructor = TypeShapeReader.ChooseConstructor(type);
        var objects = new ObjectLookup([]);
        var members = new List<RowMemberSpec>();
        foreach (var property in obj.Properties)
        {
            var symbol = ReadableProperties(type).First(p => p.Name == property.Name);
            var parameter = constructor?.Parameters.FirstOrDefault(p => p.Name == property.ConstructorParameter);
            var optional = property.Type.IsNullable || property.IsOptional;
            members.Add(new RowMemberSpec(
                property.Name,
                property.Column,
                ColumnTypeOf(property.Type),
                property.Type.IsNullable,
                optional,
                $"typeof({symbol.Type.WithNullableAnnotation(NullableAnnotation.NotAnnotated).ToDisplayString(FullyQualified)})",
                property.Type.Element?.IsNullable ?? false,
                Separator(symbol) ?? (parameter is null ? null : Separator(parameter)),
                ValueCode.WriteValue(property.Type, "record." + property.Name, objects)));
        }
        var node = ValueCode.Reader(ValueCode.Source.Node);
        var construct = ValueCode.Construct(obj, p =>
        {
            var column = Writing.CSharpLiteral.String(p.Column);
            var read = $"{node}.{(p.Type.IsNullable || p.IsOptional ? "OptionalColumn" : "Column")}(row, {column}, static value => {ValueCode.Read(p.Type, "value", ValueCode.Source.Node, objects)})";
            // Rule: a row without the column of a parameter with a default gets the default.
            var parameter = constructor?.Parameters.FirstOrDefault(c => c.Name == p.ConstructorParameter);
            return parameter is { HasExplicitDefaultValue: true } && DefaultOf(parameter) is { } fallback
                ? $"row.ContainsKey({column}) ? {read} : {fallback}"
                : read;
        }, multiline: true);
        return new RowRecordSpec(obj.TypeName, type.Name, members.ToEquatableArray(), construct);
    }

    // A parameter's default as C#: null, a string, a number, a bool or an enum member's value.
    private static string? DefaultOf(IParameterSymbol parameter)
    {
        var type = parameter.Type.WithNullableAnnotation(NullableAnnotation.NotAnnotated).ToDisplayString(FullyQualified);
        return parameter.ExplicitDefaultValue switch
        {
            null => $"default({type})",
            string text => Writing.CSharpLiteral.String(text),
            bool flag => flag ? "true" : "false",
            IFormattable number => $"({type})({number.ToString(null, System.Globalization.CultureInfo.InvariantCulture)})",
            _ => null,
        };
    }

    private static bool Contains(TypeShape shape, ValueKind kind) => shape.Kind == kind || shape.Element is { } element && Contains(element, kind);

    // The column type as the runtime's reflection fallback computes it.
    private static string ColumnTypeOf(TypeShape shape)
    {
        const string type = "global::Distil.ColumnType";
        return shape.Kind switch
        {
            ValueKind.String => $"{type}.String",
            ValueKind.Enum => $"{type}.EnumOf(global::System.Enum.GetNames<{shape.TypeName}>())",
            ValueKind.Boolean => $"{type}.Boolean",
            ValueKind.Integer => $"{type}.Integer",
            ValueKind.Number or ValueKind.Decimal => $"{type}.Number",
            ValueKind.Json => $"{type}.Json",
            _ => $"{type}.ListOf({ColumnTypeOf(shape.Element!)})",
        };
    }

    private static string? Separator(ISymbol symbol) =>
        symbol.GetAttributes().FirstOrDefault(a => KnownTypes.IsAttribute(a, "Distil", "CsvListAttribute"))?.ConstructorArguments.FirstOrDefault().Value as string;

    // Public instance properties with a getter, as Type.GetProperties gives them (base types included).
    private static List<IPropertySymbol> ReadableProperties(INamedTypeSymbol type)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var properties = new List<IPropertySymbol>();
        for (var current = type; current is not null && current.SpecialType != SpecialType.System_Object; current = current.BaseType)
        {
            foreach (var property in current.GetMembers().OfType<IPropertySymbol>())
            {
                if (property.IsStatic || property.IsIndexer || property.DeclaredAccessibility != Accessibility.Public) continue;
                if (property.GetMethod is null || property.Name == "EqualityContract") continue;
                if (seen.Add(property.Name)) properties.Add(property);
            }
        }
        return properties;
    }

    // Generated code is a top-level class of the same assembly: the record and its containers must be public or internal.
    private static bool IsAccessible(INamedTypeSymbol type)
    {
        for (ISymbol? current = type; current is INamedTypeSymbol named; current = named.ContainingType)
        {
            if (named.DeclaredAccessibility is not (Accessibility.Public or Accessibility.Internal)) return false;
            if (named.DeclaredAccessibility == Accessibility.Internal && !SymbolEqualityComparer.Default.Equals(named.ContainingAssembly, type.ContainingAssembly)) return false;
        }
        return true;
    }
}
