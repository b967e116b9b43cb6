using System.Collections.Generic;
using System.Linq;
using System.Text;
using Distil.Generators.Model;
using Distil.Generators.Writing;

namespace Distil.Generators.Schema;

/// <summary>
/// Writes the JSON schema of an output record in the form OpenAI's strict structured output
/// accepts: an object at the root, <c>additionalProperties: false</c> and every property required
/// on every object, nullable as <c>["T","null"]</c>, nested records under <c>$defs</c>.
/// </summary>
internal static class JsonSchemaWriter
{
    public static string Write(string rootId, IReadOnlyList<ObjectSpec> objects)
    {
        var byId = objects.ToDictionary(o => o.Id);
        var definitions = new SortedDictionary<string, ObjectSpec>(System.StringComparer.Ordinal);
        var json = new StringBuilder();
        WriteObjectBody(json, byId[rootId], byId, definitions, root: true);

        if (definitions.Count > 0)
        {
            // Written after the root's body so that every record reached from it is known.
            json.Length--; // reopen the root object
            json.Append(",\"$defs\":{");
            var written = new HashSet<string>();
            var first = true;
            while (definitions.Keys.FirstOrDefault(k => !written.Contains(k)) is { } next)
            {
                written.Add(next);
                if (!first) json.Append(',');
                first = false;
                AppendString(json, DefinitionName(byId[definitions[next].Id]));
                json.Append(':');
                WriteObjectBody(json, definitions[next], byId, definitions, root: false);
            }
            json.Append("}}");
        }
        return json.ToString();
    }

    private static void WriteObjectBody(
        StringBuilder json, ObjectSpec obj, Dictionary<string, ObjectSpec> byId,
        SortedDictionary<string, ObjectSpec> definitions, bool root)
    {
        json.Append("{\"type\":\"object\"");
        if (obj.Description is not null)
        {
            json.Append(",\"description\":");
            AppendString(json, obj.Description);
        }
        json.Append(",\"properties\":{");
        for (var i = 0; i < obj.Properties.Count; i++)
        {
            var property = obj.Properties[i];
            if (i > 0) json.Append(',');
            AppendString(json, property.Column);
            json.Append(':');
            WriteValue(json, property.Type, property.Description, byId, definitions, property.Rules);
        }
        json.Append("},\"required\":[");
        json.Append(string.Join(",", obj.Properties.Select(p => Quote(p.Column))));
        json.Append("],\"additionalProperties\":false}");
    }

    private static void WriteValue(
        StringBuilder json, TypeShape type, string? description, Dictionary<string, ObjectSpec> byId,
        SortedDictionary<string, ObjectSpec> definitions, ValueRules? rules = null)
    {
        if (type.Kind == ValueKind.Object)
        {
            definitions[DefinitionName(byId[type.ObjectId])] = byId[type.ObjectId];
            var reference = "{\"$ref\":" + Quote("#/$defs/" + DefinitionName(byId[type.ObjectId])) + "}";
            json.Append(type.IsNullable ? "{\"anyOf\":[" + reference + ",{\"type\":\"null\"}]" : reference.TrimEnd('}'));
            AppendDescription(json, description);
            json.Append('}');
            return;
        }

        json.Append("{\"type\":");
        var name = TypeName(type.Kind);
        json.Append(type.IsNullable ? "[" + Quote(name) + ",\"null\"]" : Quote(name));
        switch (type.Kind)
        {
            case ValueKind.Enum:
                json.Append(",\"enum\":[");
                json.Append(string.Join(",", type.EnumMembers.Select(Quote)));
                if (type.IsNullable) json.Append(",null");
                json.Append(']');
                break;
            case ValueKind.List:
                json.Append(",\"items\":");
                // A range on a list bounds its items.
                WriteValue(json, type.Element!, null, byId, definitions,
                    rules is { Minimum: not null } or { Maximum: not null } ? new ValueRules(rules.Minimum, rules.Maximum) : null);
                if (rules?.MinLength is { } least) json.Append(",\"minItems\":").Append(least.ToString(System.Globalization.CultureInfo.InvariantCulture));
                if (rules?.MaxLength is { } most) json.Append(",\"maxItems\":").Append(most.ToString(System.Globalization.CultureInfo.InvariantCulture));
                break;
            case ValueKind.Integer or ValueKind.Number or ValueKind.Decimal:
                if (rules?.Minimum is { } minimum) json.Append(",\"minimum\":").Append(Number(minimum));
                if (rules?.Maximum is { } maximum) json.Append(",\"maximum\":").Append(Number(maximum));
                break;
            case ValueKind.String:
                // OpenAI's strict mode takes a pattern and an enum for strings, not a length.
                if (rules?.Pattern is { } pattern)
                {
                    json.Append(",\"pattern\":");
                    AppendString(json, pattern);
                }
                if (rules is { AllowedValues.Count: > 0 })
                {
                    json.Append(",\"enum\":[").Append(string.Join(",", rules.AllowedValues.Select(Quote)));
                    if (type.IsNullable) json.Append(",null");
                    json.Append(']');
                }
                break;
        }
        AppendDescription(json, description);
        json.Append('}');
    }

    private static void AppendDescription(StringBuilder json, string? description)
    {
        if (description is null) return;
        json.Append(",\"description\":");
        AppendString(json, description);
    }

    private static string TypeName(ValueKind kind) => kind switch
    {
        ValueKind.String or ValueKind.Enum => "string",
        ValueKind.Boolean => "boolean",
        ValueKind.Integer => "integer",
        ValueKind.Number or ValueKind.Decimal => "number",
        ValueKind.List => "array",
        _ => "object",
    };

    // Nested records are named by their type name: two records of one name reached from one
    // output type would share a definition (a known limit, noted in docs/architecture.md).
    private static string DefinitionName(ObjectSpec obj) => obj.DisplayName;
    private static string Quote(string text) => JsonStringLiteral.Quote(text);

    private static string Number(double value) => value.ToString("R", System.Globalization.CultureInfo.InvariantCulture);

    private static void AppendString(StringBuilder json, string text) => JsonStringLiteral.Append(json, text);
}
