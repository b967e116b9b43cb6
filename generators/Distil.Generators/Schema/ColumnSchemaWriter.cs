using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using Distil.Generators.Mapping;
using Distil.Generators.Model;
using Distil.Generators.Writing;

namespace Distil.Generators.Schema;

/// <summary>
/// Writes a record's column schema as C#: a <c>global::Distil.RowSchema</c> of
/// <c>global::Distil.Column</c>s whose <c>ColumnType</c>s follow the record's property types, so
/// typed files are written from what the generator knows instead of what the data looks like.
/// </summary>
internal static class ColumnSchemaWriter
{
    private const string ColumnType = "global::Distil.ColumnType";
    private const string Column = "global::Distil.Column";
    private const string ColumnRules = "global::Distil.ColumnRules";

    /// <summary>
    /// The expression of <paramref name="record"/>'s schema. Output columns are always nullable
    /// (an answer that cannot be read gives nulls); input columns as their types say, or when optional.
    /// </summary>
    public static string[] Columns(ObjectSpec record, ObjectLookup objects, bool output) =>
        record.Properties.Select(p => ColumnOf(p, objects, output || p.IsOptional || p.Type.IsNullable, output)).ToArray();

    // Rules are written for output columns only: those are what a run checks every answer against.
    private static string ColumnOf(PropertySpec property, ObjectLookup objects, bool nullable, bool output)
    {
        var column = $"new {Column}({CSharpLiteral.String(property.Column)}, {TypeOf(property.Type, objects, output)}, {(nullable ? "true" : "false")}, " +
            $"{(property.Description is null ? "null" : CSharpLiteral.String(property.Description))}";
        var rules = output ? RulesOf(property) : null;
        return column + (rules is null ? ")" : ", " + rules + ")");
    }

    /// <summary>
    /// A <c>ColumnRules</c> of the rules the generated <c>CheckOutputAnnotations</c> enforces for
    /// <paramref name="property"/> (the same kinds: a range on numbers, a length on text and lists,
    /// allowed values and a pattern on text), or null when it has none.
    /// </summary>
    private static string? RulesOf(PropertySpec property)
    {
        if (property.Rules is not { } rules) return null;
        var type = property.Type;
        var numeric = type.Kind is ValueKind.Integer or ValueKind.Number or ValueKind.Decimal
            || type.Kind == ValueKind.List && type.Element!.Kind is ValueKind.Integer or ValueKind.Number or ValueKind.Decimal;
        var arguments = new List<string>();
        if (numeric && rules is { Minimum: { } min, Maximum: { } max })
        {
            arguments.Add("Minimum: " + Number(min));
            arguments.Add("Maximum: " + Number(max));
        }
        if (type.Kind is ValueKind.List or ValueKind.String)
        {
            if (rules.MinLength is { } least) arguments.Add("MinLength: " + Int(least));
            if (rules.MaxLength is { } most) arguments.Add("MaxLength: " + Int(most));
        }
        if (type.Kind == ValueKind.String && rules.AllowedValues.Count > 0)
        {
            arguments.Add($"AllowedValues: new string[] {{ {string.Join(", ", rules.AllowedValues.Select(CSharpLiteral.String))} }}");
        }
        if (type.Kind == ValueKind.String && rules.Pattern is { } pattern) arguments.Add("Pattern: " + CSharpLiteral.String(pattern));
        return arguments.Count == 0 ? null : $"new {ColumnRules}({string.Join(", ", arguments)})";
    }

    private static string Number(double value) => value.ToString("R", CultureInfo.InvariantCulture) + "d";

    private static string Int(int value) => value.ToString(CultureInfo.InvariantCulture);

    private static string TypeOf(TypeShape type, ObjectLookup objects, bool output) => type.Kind switch
    {
        ValueKind.String => ColumnType + ".String",
        ValueKind.Boolean => ColumnType + ".Boolean",
        ValueKind.Integer => ColumnType + ".Integer",
        ValueKind.Number or ValueKind.Decimal => ColumnType + ".Number",
        ValueKind.Enum => $"{ColumnType}.EnumOf(new string[] {{ {string.Join(", ", type.EnumMembers.Select(CSharpLiteral.String))} }})",
        ValueKind.List => $"{ColumnType}.ListOf({TypeOf(type.Element!, objects, output)})",
        ValueKind.Object => $"{ColumnType}.StructOf(new {Column}[] {{ {string.Join(", ", objects[type.ObjectId].Properties.Select(p => ColumnOf(p, objects, p.Type.IsNullable, output)))} }})",
        ValueKind.Json => ColumnType + ".Json",
        _ => ColumnType + ".Unknown",
    };
}
