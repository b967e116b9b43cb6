using System.Collections.Generic;
using System.Linq;
using Distil.Generators.Model;
using Distil.Generators.Writing;
using static Distil.Generators.Mapping.ValueCode;

namespace Distil.Generators.Mapping;

/// <summary>
/// The generated code that maps rows to records and back, without reflection: shared by tasks
/// (their input and output records) and typed steps (theirs). Each record gets a reader from a
/// JSON node (rows), one from a JSON element (answers, on request) and a writer to a JSON node.
/// </summary>
internal static class RecordMapping
{
    private const string JsonObject = "global::System.Text.Json.Nodes.JsonObject";
    private const string JsonNode = "global::System.Text.Json.Nodes.JsonNode";
    private const string JsonElement = "global::System.Text.Json.JsonElement";

    /// <summary>The statement that reads <c>row</c> into <paramref name="input"/> (a column with a constructor default may be missing).</summary>
    public static string ReadRowStatement(ObjectSpec input, ObjectLookup objects)
    {
        var node = Reader(Source.Node);
        return "return " + Construct(input, p =>
            $"{node}.{(p.IsOptional ? "OptionalColumn" : "Column")}(row, {CSharpLiteral.String(p.Column)}, static value => {Read(p.Type, "value", Source.Node, objects)})",
            multiline: true) + ";";
    }

    /// <summary>The statements that set each column of <paramref name="output"/> on <c>row</c> from <paramref name="value"/>; all null when <paramref name="nullable"/> and it is null.</summary>
    public static IEnumerable<string> WriteRowStatements(ObjectSpec output, string value, ObjectLookup objects, bool nullable)
    {
        foreach (var property in output.Properties)
        {
            var written = WriteValue(property.Type, value + "." + property.Name, objects);
            yield return nullable
                ? $"row[{CSharpLiteral.String(property.Column)}] = {value} is null ? null : {written};"
                : $"row[{CSharpLiteral.String(property.Column)}] = {written};";
        }
    }

    /// <summary>The readers and writers of every record: node readers and writers always, element readers when <paramref name="elements"/>.</summary>
    public static void WriteRecordMethods(SourceWriter writer, IEnumerable<ObjectSpec> records, ObjectLookup objects, bool elements)
    {
        foreach (var obj in records)
        {
            if (elements) WriteObjectReader(writer, obj, Source.Element, objects);
            WriteObjectReader(writer, obj, Source.Node, objects);
            WriteObjectWriter(writer, obj, objects);
        }
    }

    private static void WriteObjectReader(SourceWriter writer, ObjectSpec obj, Source source, ObjectLookup objects)
    {
        var parameter = source == Source.Node ? JsonNode + "?" : JsonElement;
        var reader = Reader(source);
        using (writer.Block($"private static {obj.TypeName} {ReadMethodName(source, obj)}({parameter} json)"))
        {
            writer.WriteLines("return " + Construct(obj, p =>
                $"{reader}.Property(json, {CSharpLiteral.String(p.Column)}, static value => {Read(p.Type, "value", source, objects)})",
                multiline: true) + ";");
        }
        writer.WriteLine();
    }

    private static void WriteObjectWriter(SourceWriter writer, ObjectSpec obj, ObjectLookup objects)
    {
        using (writer.Block($"private static {JsonNode}? {WriteMethodName(obj)}({obj.TypeName}? value)"))
        {
            writer.WriteLine("if (value is null) return null;");
            using (writer.Block($"return new {JsonObject}", ";"))
            {
                foreach (var property in obj.Properties)
                    writer.WriteLine($"[{CSharpLiteral.String(property.Column)}] = {WriteValue(property.Type, "value." + property.Name, objects)},");
            }
        }
        writer.WriteLine();
    }
}
