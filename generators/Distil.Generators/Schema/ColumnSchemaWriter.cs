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

    /// <summary>
    /// The expression of <paramref name="record"/>'s schema. Output columns are always nullable
    /// (an answer that cannot be read gives nulls); input columns as their types say, or when optional.
    /// </summary>
    public static string[] Columns(ObjectSpec record, ObjectLookup objects, bool output) =>
        record.Properties.Select(p => ColumnOf(p, objects, output || p.IsOptional || p.Type.IsNullable)).ToArray();

    private static string ColumnOf(PropertySpec property, ObjectLookup objects, bool nullable) =>
        $"new {Column}({CSharpLiteral.String(property.Column)}, {TypeOf(property.Type, objects)}, {(nullable ? "true" : "false")}, " +
        $"{(property.Description is null ? "null" : CSharpLiteral.String(property.Description))})";

    private static string TypeOf(TypeShape type, ObjectLookup objects) => type.Kind switch
    {
        ValueKind.String => ColumnType + ".String",
        ValueKind.Boolean => ColumnType + ".Boolean",
        ValueKind.Integer => ColumnType + ".Integer",
        ValueKind.Number or ValueKind.Decimal => ColumnType + ".Number",
        ValueKind.Enum => $"{ColumnType}.EnumOf(new string[] {{ {string.Join(", ", type.EnumMembers.Select(CSharpLiteral.String))} }})",
        ValueKind.List => $"{ColumnType}.ListOf({TypeOf(type.Element!, objects)})",
        ValueKind.Object => $"{ColumnType}.StructOf(new {Column}[] {{ {string.Join(", ", objects[type.ObjectId].Properties.Select(p => ColumnOf(p, objects, p.Type.IsNullable)))} }})",
        ValueKind.Json => ColumnType + ".Json",
        _ => ColumnType + ".Unknown",
    };
}
