using Distil.Generators.Model;
using Microsoft.CodeAnalysis;

namespace Distil.Generators.Parsing;

/// <summary>
/// A property of a record as the parser sees it, before its type is read into a shape. Lives only
/// inside one parse: it holds a symbol and a location, which models never do.
/// </summary>
internal sealed record RecordMember(
    string Name,
    ITypeSymbol Type,
    string Column,
    string? Description,
    string? ConstructorParameter,
    Location? Location,
    int? MaxLength = null,
    bool IsOptional = false,
    ValueRules? Rules = null);
