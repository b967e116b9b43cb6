using System.Reflection;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using Distil.Tests.Tasks;
using Distil.Tests.Templates;
using Json.Schema;
using Microsoft.Extensions.AI;
using NUnit.Framework;

namespace Distil.Tests.Schema;

/// <summary>
/// The generated output schema accepts and rejects the same JSON as the schema that
/// Microsoft.Extensions.AI makes for the same type after its strict (OpenAI) transform, and has
/// the form OpenAI's strict mode demands.
/// </summary>
public class OutputSchemaTests
{
    public static IEnumerable<TestCaseData> Outputs()
    {
        yield return Case<SummaryTask.Output>(new SummaryTask().StructuredOutputSchema);
        yield return Case<QualityScorer.Output>(new QualityScorer().StructuredOutputSchema);
        yield return Case<ReviewTask.Output>(new ReviewTask().StructuredOutputSchema);
        yield return Case<GuidedReview.Output>(new GuidedReview().StructuredOutputSchema);
        yield return Case<RatingTask.Output>(new RatingTask().StructuredOutputSchema);
    }

    private static TestCaseData Case<T>(string schema) =>
        new TestCaseData(typeof(T), schema).SetName($"Schema of {typeof(T).DeclaringType?.Name ?? typeof(T).Name}.{typeof(T).Name}");

    [TestCaseSource(nameof(Outputs))]
    public void Accepts_and_rejects_what_the_MEAI_strict_schema_does(Type outputType, string generated)
    {
        var ours = JsonSchema.FromText(generated);
        var theirs = JsonSchema.FromText(MeaiStrictSchema(outputType));

        var instances = Instances(outputType).ToList();
        var accepted = 0;
        foreach (var instance in instances)
        {
            var ourVerdict = Valid(ours, instance);
            Assert.That(ourVerdict, Is.EqualTo(Valid(theirs, instance)),
                $"The schemas disagree on {instance.ToJsonString()}\nours:   {generated}\ntheirs: {MeaiStrictSchema(outputType)}");
            if (ourVerdict) accepted++;
        }
        Assert.That(accepted, Is.GreaterThan(10), "valid instances must be among those compared");
        Assert.That(instances.Count - accepted, Is.GreaterThan(10), "invalid instances must be among those compared");
    }

    [TestCaseSource(nameof(Outputs))]
    public void Has_the_form_OpenAI_strict_mode_demands(Type outputType, string generated)
    {
        var root = JsonNode.Parse(generated)!.AsObject();
        Assert.That((string?)root["type"], Is.EqualTo("object"));
        foreach (var obj in Objects(root).Where(o => o["type"] is JsonValue type && (string?)type == "object"))
        {
            Assert.That(obj["additionalProperties"]?.GetValue<bool>(), Is.False, obj.ToJsonString());
            var properties = obj["properties"]!.AsObject().Select(p => p.Key).ToList();
            var required = obj["required"]!.AsArray().Select(r => (string)r!).ToList();
            Assert.That(required, Is.EquivalentTo(properties), obj.ToJsonString());
        }
    }

    [Test]
    public void Descriptions_nullables_enums_and_nested_records_are_expressed()
    {
        var schema = JsonNode.Parse(new ReviewTask().StructuredOutputSchema)!;

        Assert.That(schema["properties"]!["notes"]!["type"]!.ToJsonString(), Is.EqualTo("""["string","null"]"""));
        Assert.That(schema["properties"]!["verdict"]!["enum"]!.ToJsonString(), Is.EqualTo("""["Accept","Revise","Reject"]"""));
        Assert.That(schema["properties"]!["findings"]!["items"]!["$ref"]!.GetValue<string>(), Is.EqualTo("#/$defs/Finding"));
        Assert.That(schema["$defs"]!["Finding"]!["description"]!.GetValue<string>(), Is.EqualTo("One reviewer's judgement."));
        Assert.That(JsonNode.Parse(new SummaryTask().StructuredOutputSchema)!["properties"]!["summary"]!["description"]!.GetValue<string>(),
            Is.EqualTo("The summary itself."));
    }

    private static bool Valid(JsonSchema schema, JsonNode instance)
    {
        using var document = JsonDocument.Parse(instance.ToJsonString());
        return schema.Evaluate(document.RootElement).IsValid;
    }

    // M.E.AI's schema for the same type, with the same column names and OpenAI's strict transform.
    private static string MeaiStrictSchema(Type type)
    {
        var schema = AIJsonUtilities.CreateJsonSchema(
            type,
            serializerOptions: SerializerOptions,
            inferenceOptions: new AIJsonSchemaCreateOptions
            {
                TransformOptions = new AIJsonSchemaTransformOptions
                {
                    DisallowAdditionalProperties = true,
                    RequireAllProperties = true,
                    ConvertBooleanSchemas = true,
                },
            });
        return schema.GetRawText();
    }

    private static readonly JsonSerializerOptions SerializerOptions = CreateSerializerOptions();

    private static JsonSerializerOptions CreateSerializerOptions()
    {
        var options = new JsonSerializerOptions(AIJsonUtilities.DefaultOptions)
        {
            PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
            TypeInfoResolver = new DefaultJsonTypeInfoResolver { Modifiers = { UseColumnNames } },
        };
        options.Converters.Add(new JsonStringEnumConverter());
        options.MakeReadOnly();
        return options;
    }

    // [Column("x")] is Distil's; tell System.Text.Json about it, as the generator does for its schema.
    private static void UseColumnNames(JsonTypeInfo type)
    {
        foreach (var property in type.Properties)
        {
            var column = (property.AttributeProvider as MemberInfo)?.GetCustomAttribute<ColumnAttribute>()
                ?? type.Type.GetConstructors().SelectMany(c => c.GetParameters())
                    .FirstOrDefault(p => string.Equals(p.Name, (property.AttributeProvider as MemberInfo)?.Name, StringComparison.OrdinalIgnoreCase))
                    ?.GetCustomAttribute<ColumnAttribute>();
            if (column is not null) property.Name = column.Name;
        }
    }

    // Valid instances (random records serialized), and each turned invalid in several ways.
    private static IEnumerable<JsonNode> Instances(Type type)
    {
        for (var seed = 0; seed < 40; seed++)
        {
            var value = new SampleInputs(seed).Create(type, nullable: false, depth: 0);
            var valid = JsonSerializer.SerializeToNode(value, type, SerializerOptions)!;
            yield return valid;
            foreach (var broken in Mutations(valid, new Random(seed))) yield return broken;
        }
        yield return new JsonObject();
        yield return new JsonArray();
        yield return JsonValue.Create("text")!;
    }

    private static IEnumerable<JsonNode> Mutations(JsonNode valid, Random random)
    {
        foreach (var obj in Objects(valid))
        {
            var path = obj.GetPath();
            var keys = obj.Select(p => p.Key).ToList();
            if (keys.Count == 0) continue;
            var key = keys[random.Next(keys.Count)];
            yield return Mutate(valid, path, o => o.Remove(key));
            yield return Mutate(valid, path, o => o["unexpected"] = 1);
            yield return Mutate(valid, path, o => o[key] = null);
            yield return Mutate(valid, path, o => o[key] = "a string");
            yield return Mutate(valid, path, o => o[key] = 1.5);
            yield return Mutate(valid, path, o => o[key] = new JsonArray(1, "x"));
            yield return Mutate(valid, path, o => o[key] = new JsonObject());
        }
    }

    private static JsonNode Mutate(JsonNode valid, string path, Action<JsonObject> change)
    {
        var copy = valid.DeepClone();
        change(Objects(copy).Single(o => o.GetPath() == path));
        return copy;
    }

    private static IEnumerable<JsonObject> Objects(JsonNode? node)
    {
        switch (node)
        {
            case JsonObject obj:
                yield return obj;
                foreach (var (_, value) in obj)
                {
                    foreach (var inner in Objects(value)) yield return inner;
                }
                break;
            case JsonArray array:
                foreach (var item in array)
                {
                    foreach (var inner in Objects(item)) yield return inner;
                }
                break;
        }
    }
}
