using System.Text.Json.Nodes;
using Distil.Pipelines;

namespace Distil.Cli;

/// <summary>
/// The JSON Schema (draft 2020-12) of pipeline files, written from <see cref="PipelineFileKeys"/>,
/// the lists the strict reader checks, so the schema and the reader cannot drift: each step is one
/// of the step kinds (its kind key required, no key it does not know), and options objects such
/// as <c>dedup</c>'s hold only their own keys.
/// </summary>
internal static class PipelineFileSchema
{
    /// <summary>The schema, as <c>distil schema</c> prints it.</summary>
    public static JsonObject Build()
    {
        var schema = new JsonObject
        {
            ["$schema"] = "https://json-schema.org/draft/2020-12/schema",
            ["title"] = "Distil pipeline file",
            ["description"] = "A pipeline for distil run --pipeline and distil check: steps with a name, one kind key and the steps they come after.",
        };
        foreach (var (name, value) in Object(PipelineFileKeys.File, ["name", "steps"])) schema[name] = value?.DeepClone();
        var steps = schema["properties"]!["steps"]!.AsObject();
        steps["minItems"] = 1;
        steps["items"] = new JsonObject
        {
            ["oneOf"] = new JsonArray([.. PipelineFileKeys.Kinds.Select(kind => (JsonNode)Object(PipelineFileKeys.Step(kind.Kind.Name, "…"), ["name", kind.Kind.Name]))]),
        };
        schema["properties"]!["edges"]!["items"] = new JsonObject
        {
            ["type"] = "array", ["items"] = new JsonObject { ["type"] = "string" }, ["minItems"] = 2, ["maxItems"] = 2,
        };
        return schema;
    }

    // Rule: an object of known keys allows no other key (additionalProperties: false), as the reader.
    private static JsonObject Object(PipelineFileShape shape, string[] required)
    {
        var properties = new JsonObject();
        foreach (var key in shape.Keys!) properties[key.Name] = Value(key);
        var json = new JsonObject { ["type"] = "object", ["properties"] = properties, ["additionalProperties"] = false };
        if (required.Length > 0) json["required"] = new JsonArray([.. required.Select(r => (JsonNode)r)]);
        return json;
    }

    private static JsonObject Value(PipelineFileKey key)
    {
        var json = key.Holds is { Keys: not null } shape && key.Types is ["object"] ? Object(shape, []) : new JsonObject();
        json["type"] = key.Types.Count == 1 ? key.Types[0] : new JsonArray([.. key.Types.Select(t => (JsonNode)t)]);
        json["description"] = key.Description;
        // A string or an object of known keys ("load": a file, or {"reviewed": ...}).
        if (key.Holds is { Keys: not null } form && key.Types is ["string", "object"])
        {
            json.Remove("type");
            json["oneOf"] = new JsonArray(new JsonObject { ["type"] = "string" }, Object(form, [form.Keys![0].Name]));
        }
        // A list of known-key objects ("tools": "mcp"): each item is a string (the short form) or such an object.
        if (key.Holds is { Keys: not null } item && key.Types is ["array"])
        {
            json["items"] = new JsonObject { ["oneOf"] = new JsonArray(new JsonObject { ["type"] = "string" }, Object(item, [])) };
        }
        return json;
    }
}
