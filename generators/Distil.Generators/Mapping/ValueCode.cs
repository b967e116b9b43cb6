using System.Linq;
using Distil.Generators.Model;

namespace Distil.Generators.Mapping;

/// <summary>
/// C# expressions that read typed values from JSON, write them to JSON and make placeholder
/// values, for every <see cref="TypeShape"/>. Reading comes in two flavours of the same code:
/// rows are <c>JsonNode</c>s, answers are parsed into <c>JsonElement</c>s.
/// </summary>
internal static class ValueCode
{
    public const string Write = "global::Distil.Mapping.JsonWrite";

    public enum Source
    {
        Node,
        Element,
    }

    public static string Reader(Source source) =>
        source == Source.Node ? "global::Distil.Mapping.JsonNodeRead" : "global::Distil.Mapping.JsonElementRead";

    public static string ReadMethodName(Source source, ObjectSpec obj) => $"__Read{source}_{Mangle(obj.Id)}";

    public static string WriteMethodName(ObjectSpec obj) => $"__Write_{Mangle(obj.Id)}";

    // Two records may share a short name in different namespaces: method names use the full name.
    private static string Mangle(string typeName)
    {
        var name = new System.Text.StringBuilder(typeName.Length);
        foreach (var c in typeName.Replace("global::", "")) name.Append(char.IsLetterOrDigit(c) ? c : '_');
        return name.ToString();
    }

    /// <summary>The C# type of a value, with its nullable annotation.</summary>
    public static string TypeRef(TypeShape type) => type.IsNullable ? type.TypeName + "?" : type.TypeName;

    /// <summary>An expression that reads <paramref name="value"/> (a node or element) as <paramref name="type"/>.</summary>
    public static string Read(TypeShape type, string value, Source source, ObjectLookup objects, int depth = 0)
    {
        var r = Reader(source);
        switch (type.Kind)
        {
            case ValueKind.String:
                return type.IsNullable ? $"{r}.String({value})" : $"{r}.Required({r}.String({value}), {value}, \"a string\")";
            case ValueKind.Boolean:
                return Scalar($"{r}.Boolean({value})");
            case ValueKind.Integer:
                return type.ClrName switch
                {
                    "int" => Scalar($"{r}.Int32({value})"),
                    "long" => Scalar($"{r}.Int64({value})"),
                    _ => type.IsNullable
                        ? $"checked(({type.ClrName}?){r}.Int64({value}))"
                        : $"checked(({type.ClrName}){r}.Required({r}.Int64({value}), {value}))",
                };
            case ValueKind.Number:
                return Scalar(type.ClrName == "double" ? $"{r}.Double({value})" : $"{r}.Single({value})");
            case ValueKind.Decimal:
                return Scalar($"{r}.Decimal({value})");
            case ValueKind.Enum:
                return Scalar($"{r}.Enum<{type.TypeName}>({value})");
            case ValueKind.List:
                var item = "item" + depth;
                // The element type is explicit: a nested list must come back as the declared element type.
                var list = $"{r}.List<{TypeRef(type.Element!)}>({value}, static {item} => {Read(type.Element!, item, source, objects, depth + 1)})";
                if (type.IsArray) list += ".ToArray()";
                return type.IsNullable ? $"{r}.IsNull({value}) ? null : {list}" : list;
            case ValueKind.Json:
                var isObject = type.TypeName.EndsWith("JsonObject");
                var json = isObject ? $"{r}.JsonObject({value})" : $"{r}.Json({value})";
                return type.IsNullable ? json : $"{r}.Required({json}, {value}, \"{(isObject ? "a JSON object" : "a JSON value")}\")";
            default:
                var read = $"{ReadMethodName(source, objects[type.ObjectId])}({value})";
                return type.IsNullable ? $"{r}.IsNull({value}) ? null : {read}" : read;
        }

        string Scalar(string nullableRead) =>
            type.IsNullable ? nullableRead : $"{r}.Required({nullableRead}, {value})";
    }

    /// <summary>An expression that writes <paramref name="value"/> as a JSON node.</summary>
    public static string WriteValue(TypeShape type, string value, ObjectLookup objects, int depth = 0) => type.Kind switch
    {
        ValueKind.String => $"{Write}.String({value})",
        ValueKind.Boolean => $"{Write}.Boolean({value})",
        ValueKind.Integer => type.ClrName == "int" ? $"{Write}.Int32({value})" : $"{Write}.Int64({value})",
        ValueKind.Number => type.ClrName == "float" ? $"{Write}.Single({value})" : $"{Write}.Double({value})",
        ValueKind.Decimal => $"{Write}.Decimal({value})",
        ValueKind.Enum => $"{Write}.Enum<{type.TypeName}>({value})",
        ValueKind.List => $"{Write}.List<{TypeRef(type.Element!)}>({value}, static item{depth} => {WriteValue(type.Element!, "item" + depth, objects, depth + 1)})",
        ValueKind.Json => $"{Write}.Json({value})",
        _ => $"{WriteMethodName(objects[type.ObjectId])}({value})",
    };

    /// <summary>A placeholder value for <see cref="Distil"/>'s Print: text reads &lt;PLACEHOLDER_COLUMN&gt;.</summary>
    public static string Sample(TypeShape type, string column, ObjectLookup objects) => type.Kind switch
    {
        ValueKind.String => Writing.CSharpLiteral.String($"<PLACEHOLDER_{column.ToUpperInvariant()}>"),
        ValueKind.Boolean => "false",
        ValueKind.Integer or ValueKind.Number or ValueKind.Decimal => $"({type.TypeName})0",
        ValueKind.Enum => $"default({type.TypeName})",
        ValueKind.Json when type.TypeName.EndsWith("JsonObject") => "new global::System.Text.Json.Nodes.JsonObject()",
        ValueKind.Json => $"global::System.Text.Json.Nodes.JsonValue.Create({Writing.CSharpLiteral.String($"<PLACEHOLDER_{column.ToUpperInvariant()}>")})",
        ValueKind.List when type.IsArray =>
            $"new {TypeRef(type.Element!)}[] {{ {Sample(type.Element!, column, objects)} }}",
        ValueKind.List =>
            $"new global::System.Collections.Generic.List<{TypeRef(type.Element!)}> {{ {Sample(type.Element!, column, objects)} }}",
        _ => Construct(objects[type.ObjectId], p => Sample(p.Type, p.Column, objects)),
    };

    /// <summary>
    /// A <c>new</c> expression: constructor parameters by name, other properties by initializer;
    /// on several lines (one value each, for readable generated code) or on one.
    /// </summary>
    public static string Construct(ObjectSpec obj, System.Func<PropertySpec, string> valueOf, bool multiline = false)
    {
        var arguments = obj.Properties.Where(p => p.ConstructorParameter is not null)
            .Select(p => $"{p.ConstructorParameter}: {valueOf(p)}")
            .ToList();
        var initializers = obj.Properties.Where(p => p.ConstructorParameter is null)
            .Select(p => $"{p.Name} = {valueOf(p)}")
            .ToList();
        if (!multiline)
        {
            var expression = $"new {obj.TypeName}({string.Join(", ", arguments)})";
            return initializers.Count == 0 ? expression : expression + " { " + string.Join(", ", initializers) + " }";
        }

        var text = new System.Text.StringBuilder($"new {obj.TypeName}(");
        if (arguments.Count > 0) text.Append('\n').Append(string.Join(",\n", arguments.Select(a => "    " + a)));
        text.Append(')');
        if (initializers.Count > 0)
        {
            text.Append("\n{\n");
            foreach (var initializer in initializers) text.Append("    ").Append(initializer).Append(",\n");
            text.Append('}');
        }
        return text.ToString();
    }
}

/// <summary>The records of a task, by id.</summary>
internal sealed class ObjectLookup
{
    private readonly System.Collections.Generic.Dictionary<string, ObjectSpec> _byId;

    public ObjectLookup(System.Collections.Generic.IEnumerable<ObjectSpec> objects) => _byId = objects.ToDictionary(o => o.Id);

    public ObjectSpec this[string id] => _byId[id];
}
