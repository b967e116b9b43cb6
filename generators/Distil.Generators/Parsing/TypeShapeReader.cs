using System;
using System.Collections.Generic;
using System.Linq;
using Distil.Generators.Diagnostics;
using Distil.Generators.Model;
using Microsoft.CodeAnalysis;

namespace Distil.Generators.Parsing;

/// <summary>
/// Reads the shape of record types (input, output and the records nested in them) — from their
/// declarations when they are simple (<see cref="RecordSyntaxReader"/>), else from symbols — and
/// reports what cannot be mapped to a row or expressed as a JSON schema.
/// </summary>
internal sealed class TypeShapeReader
{
    private static readonly SymbolDisplayFormat FullyQualified =
        SymbolDisplayFormat.FullyQualifiedFormat.WithMiscellaneousOptions(
            SymbolDisplayMiscellaneousOptions.UseSpecialTypes |
            SymbolDisplayMiscellaneousOptions.EscapeKeywordIdentifiers);

    private readonly Dictionary<string, ObjectSpec> _objects = new(StringComparer.Ordinal);
    private readonly HashSet<string> _reading = new(StringComparer.Ordinal);
    private readonly Dictionary<ITypeSymbol, string> _typeNames = new(SymbolEqualityComparer.Default);
    private readonly Compilation _compilation;
    private List<DiagnosticInfo> _diagnostics;

    public TypeShapeReader(List<DiagnosticInfo> diagnostics, Compilation compilation)
    {
        _diagnostics = diagnostics;
        _compilation = compilation;
    }

    public IEnumerable<ObjectSpec> Objects => _objects.Values.OrderBy(o => o.Id, StringComparer.Ordinal);

    public bool HasErrors { get; private set; }

    /// <summary>Where to record the project's types read, when the reading is to be reused on later compilations.</summary>
    public Incremental.SourceDependencies? Dependencies { get; init; }

    public static string TypeName(ITypeSymbol type) =>
        type.WithNullableAnnotation(NullableAnnotation.NotAnnotated).ToDisplayString(FullyQualified);

    // Formatting a type name is the parser's most expensive call; a record's types repeat.
    private string CachedTypeName(ITypeSymbol type)
    {
        if (!_typeNames.TryGetValue(type, out var name)) _typeNames[type] = name = TypeName(type);
        return name;
    }

    /// <summary>Reads a type's shape without reporting anything; null when it has none.</summary>
    public TypeShape? TryRead(ITypeSymbol type, IPropertySymbol property)
    {
        var (diagnostics, hadErrors) = (_diagnostics, HasErrors);
        _diagnostics = [];
        try
        {
            return ReadShape(type, Owner.Of(property), isOutput: false);
        }
        finally
        {
            (_diagnostics, HasErrors) = (diagnostics, hadErrors);
        }
    }

    /// <summary>Reads a record type as an object; returns its id, or null when it cannot be read.</summary>
    public string? ReadRoot(INamedTypeSymbol type, bool isOutput) => ReadObject(type, isOutput, owner: null);

    private string? ReadObject(INamedTypeSymbol type, bool isOutput, Owner? owner)
    {
        Dependencies?.AddType(type);
        var id = CachedTypeName(type);
        if (_objects.ContainsKey(id)) return id;
        if (!_reading.Add(id))
        {
            Report(owner, isOutput, type, "a record may not contain itself, directly or through other records");
            return null;
        }

        var members = RecordSyntaxReader.TryRead(type, _compilation) ?? MembersFromSymbols(type);
        if (members is null)
        {
            Report(owner, isOutput, type, "it has no public constructor whose parameters all name its properties");
            _reading.Remove(id);
            return null;
        }

        var properties = new List<PropertySpec>();
        foreach (var member in members)
        {
            var shape = ReadShape(member.Type, new Owner(member.Name, type.Name, member.Location), isOutput);
            if (shape is null) continue;
            properties.Add(new PropertySpec(
                member.Name, member.Column, shape, member.Description, member.ConstructorParameter, LocationInfo.From(member.Location), member.MaxLength, member.IsOptional, member.Rules));
        }

        _reading.Remove(id);
        _objects[id] = new ObjectSpec(id, id, type.Name, DescriptionOf(type), properties.ToEquatableArray());
        return id;
    }

    // For records the syntax reader leaves alone (base types, explicit constructors, metadata types).
    private static List<RecordMember>? MembersFromSymbols(INamedTypeSymbol type)
    {
        var constructor = ChooseConstructor(type);
        if (constructor is null) return null;
        var members = new List<RecordMember>();
        foreach (var property in PublicProperties(type))
        {
            var parameter = constructor.Parameters.FirstOrDefault(p =>
                string.Equals(p.Name, property.Name, StringComparison.OrdinalIgnoreCase));
            var settable = property.SetMethod is { DeclaredAccessibility: Accessibility.Public };
            if (parameter is null && !settable) continue;
            members.Add(new RecordMember(
                property.Name,
                property.Type,
                ColumnOf(property, parameter),
                DescriptionOf(property) ?? (parameter is null ? null : DescriptionOf(parameter)),
                parameter?.Name,
                property.Locations.FirstOrDefault(),
                MaxLengthAttributes.Of(property) ?? (parameter is null ? null : MaxLengthAttributes.Of(parameter)),
                // A constructor parameter with a default value is an optional column.
                IsOptional: parameter is { HasExplicitDefaultValue: true },
                Rules: ValueRuleAttributes.Of(property, parameter)));
        }
        return members;
    }

    /// <summary>The property a type was met in, for diagnostics.</summary>
    private sealed record Owner(string Name, string ContainingType, Location? Location)
    {
        public static Owner Of(IPropertySymbol property) =>
            new(property.Name, property.ContainingType.Name, property.Locations.FirstOrDefault());
    }

    private TypeShape? ReadShape(ITypeSymbol type, Owner property, bool isOutput)
    {
        Dependencies?.AddType(type);
        if (type.TypeKind == TypeKind.Error)
        {
            // The compiler reports the unknown type itself; a second error would only add noise.
            HasErrors = true;
            return null;
        }
        var nullable = type.NullableAnnotation == NullableAnnotation.Annotated;
        if (type is INamedTypeSymbol { OriginalDefinition.SpecialType: SpecialType.System_Nullable_T } wrapper)
        {
            var inner = ReadShape(wrapper.TypeArguments[0], property, isOutput);
            return inner is null ? null : inner with { IsNullable = true };
        }

        var name = CachedTypeName(type);
        switch (type.SpecialType)
        {
            case SpecialType.System_String: return new TypeShape(ValueKind.String, name, nullable, false);
            case SpecialType.System_Boolean: return new TypeShape(ValueKind.Boolean, name, nullable, true);
            case SpecialType.System_Byte or SpecialType.System_SByte or SpecialType.System_Int16 or SpecialType.System_UInt16
                or SpecialType.System_Int32 or SpecialType.System_UInt32 or SpecialType.System_Int64:
                return new TypeShape(ValueKind.Integer, name, nullable, true, ClrName: name);
            case SpecialType.System_Single or SpecialType.System_Double:
                return new TypeShape(ValueKind.Number, name, nullable, true, ClrName: name);
            case SpecialType.System_Decimal:
                return new TypeShape(ValueKind.Decimal, name, nullable, true, ClrName: name);
        }

        if (type.TypeKind == TypeKind.Enum)
        {
            var members = type.GetMembers().OfType<IFieldSymbol>().Where(f => f.HasConstantValue).Select(f => f.Name);
            return new TypeShape(ValueKind.Enum, name, nullable, true, EnumMembers: members.ToEquatableArray());
        }

        if (type is IArrayTypeSymbol { Rank: 1 } array)
        {
            var element = ReadShape(array.ElementType, property, isOutput);
            return element is null ? null : new TypeShape(ValueKind.List, name, nullable, false, Element: element, IsArray: true);
        }

        if (type is INamedTypeSymbol named)
        {
            if (named.Name is "JsonNode" or "JsonObject" && KnownTypes.IsNamespace(named.ContainingNamespace, "System.Text.Json.Nodes"))
            {
                if (!isOutput) return new TypeShape(ValueKind.Json, name, nullable, false);
                Report(property, isOutput, type, "a JSON value has no fixed shape, and output records need one for their JSON schema; use a record");
                return null;
            }

            if (IsListInterfaceOrList(named))
            {
                var element = ReadShape(named.TypeArguments[0], property, isOutput);
                return element is null ? null : new TypeShape(ValueKind.List, name, nullable, false, Element: element);
            }

            if (IsRecordLike(named))
            {
                var id = ReadObject(named, isOutput, property);
                return id is null ? null : new TypeShape(ValueKind.Object, name, nullable, named.IsValueType, ObjectId: id);
            }
        }

        Report(property, isOutput, type, WhyUnsupported(type));
        return null;
    }

    private static bool IsListInterfaceOrList(INamedTypeSymbol type)
    {
        if (type.TypeArguments.Length != 1) return false;
        return type.Name is "List" or "IList" or "IReadOnlyList" or "IEnumerable" or "ICollection" or "IReadOnlyCollection"
               && KnownTypes.IsNamespace(type.ContainingNamespace, "System.Collections.Generic");
    }

    private static bool IsRecordLike(INamedTypeSymbol type) =>
        type.TypeKind is TypeKind.Class
        && !type.IsAbstract
        && !type.IsGenericType
        && type.SpecialType == SpecialType.None
        && !KnownTypes.IsNamespace(type.ContainingNamespace, "System")
        && !KnownTypes.IsNamespace(type.ContainingNamespace, "System.Collections.Generic");

    private static string WhyUnsupported(ITypeSymbol type) => type switch
    {
        INamedTypeSymbol { TypeArguments.Length: 2 } => "dictionaries have no fixed properties; use a record or a list of records",
        { SpecialType: SpecialType.System_Object } or { TypeKind: TypeKind.Dynamic } => "its shape is unknown at build time; use a record",
        { TypeKind: TypeKind.Interface } => "only list interfaces (IReadOnlyList<T>, IEnumerable<T>…) are supported",
        { SpecialType: SpecialType.System_UInt64 } => "ulong can exceed what JSON numbers hold exactly; use long or decimal",
        { TypeKind: TypeKind.Struct } => "structs are not supported as records; use a record class",
        _ => "use string, bool, a number, an enum, a record, or a list of these",
    };

    private void Report(Owner? property, bool isOutput, ITypeSymbol type, string reason)
    {
        HasErrors = true;
        var descriptor = isOutput ? DiagnosticDescriptors.UnsupportedOutputType : DiagnosticDescriptors.UnsupportedInputType;
        _diagnostics.Add(DiagnosticInfo.Create(
            descriptor,
            LocationInfo.From(property?.Location ?? type.Locations.FirstOrDefault()),
            property?.Name ?? type.Name,
            property?.ContainingType ?? type.Name,
            type.ToDisplayString(),
            reason));
    }

    private static IEnumerable<IPropertySymbol> PublicProperties(INamedTypeSymbol type)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var current = type; current is not null && current.SpecialType != SpecialType.System_Object; current = current.BaseType)
        {
            foreach (var property in current.GetMembers().OfType<IPropertySymbol>())
            {
                if (property.IsStatic || property.IsIndexer || property.DeclaredAccessibility != Accessibility.Public) continue;
                if (property.GetMethod is null || property.Name == "EqualityContract") continue;
                if (seen.Add(property.Name)) yield return property;
            }
        }
    }

    // The public constructor with the most parameters that all name a property; records' primary
    // constructors win. The copy constructor of a record is never chosen.
    internal static IMethodSymbol? ChooseConstructor(INamedTypeSymbol type)
    {
        // Properties of base records count: record Input(string A, string B) : Base(A).
        var propertyNames = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        for (var current = type; current is not null && current.SpecialType != SpecialType.System_Object; current = current.BaseType)
        {
            foreach (var property in current.GetMembers().OfType<IPropertySymbol>()) propertyNames.Add(property.Name);
        }
        return type.InstanceConstructors
            .Where(c => c.DeclaredAccessibility == Accessibility.Public)
            .Where(c => !(c.Parameters.Length == 1 && SymbolEqualityComparer.Default.Equals(c.Parameters[0].Type, type)))
            .Where(c => c.Parameters.All(p => propertyNames.Contains(p.Name)))
            .OrderByDescending(c => c.Parameters.Length)
            .FirstOrDefault();
    }

    private static string ColumnOf(IPropertySymbol property, IParameterSymbol? parameter) =>
        ColumnAttributeName(property) ?? (parameter is null ? null : ColumnAttributeName(parameter))
        ?? ColumnNames.SnakeCase(property.Name);

    private static string? ColumnAttributeName(ISymbol symbol) =>
        symbol.GetAttributes()
            .FirstOrDefault(a => KnownTypes.IsAttribute(a, "Distil", "ColumnAttribute"))
            ?.ConstructorArguments.FirstOrDefault().Value as string;

    private static string? DescriptionOf(ISymbol symbol) =>
        symbol.GetAttributes()
            .FirstOrDefault(a => KnownTypes.IsAttribute(a, "System.ComponentModel", "DescriptionAttribute"))
            ?.ConstructorArguments.FirstOrDefault().Value as string;
}
