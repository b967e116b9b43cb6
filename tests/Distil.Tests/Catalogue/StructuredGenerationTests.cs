using System.Text.Json;
using System.Text.Json.Nodes;
using Distil.Mapping;
using Distil.Tasks;
using Distil.Testing;
using Distil.Tests.Support;
using Microsoft.Extensions.AI;
using NUnit.Framework;

namespace Distil.Tests.Catalogue;

/// <summary>structured_generation: each row sends its own schema; bad schemas are refused with the column named.</summary>
public class StructuredGenerationTests
{
    private static JsonObject Row(string instruction, JsonNode? structuredOutput) =>
        new() { ["instruction"] = instruction, ["structured_output"] = structuredOutput };

    private static JsonObject Schema(string property) => new()
    {
        ["type"] = "object",
        ["properties"] = new JsonObject { [property] = new JsonObject { ["type"] = "string" } },
        ["required"] = new JsonArray(property),
    };

    [Test]
    public async Task Each_row_sends_its_own_schema_and_the_answer_is_kept_as_compact_JSON()
    {
        var llm = new ScriptedChatClient().Otherwise(r => "```json\n{ \"name\" : \"Ada\" }\n```");
        var task = new StructuredGeneration { Llm = llm };

        var rows = await task.ProcessAsync([
            Row("Invent a person.", new JsonObject { ["format"] = "json", ["schema"] = Schema("name") }),
            Row("Invent a city.", new JsonObject { ["schema"] = Schema("city").ToJsonString() }),
            Row("Say hi.", null),
        ]).ToListAsync();

        var formats = llm.Requests.Select(r => r.Options?.ResponseFormat as ChatResponseFormatJson).ToList();
        Assert.That(formats[0]!.Schema!.Value.GetProperty("required")[0].GetString(), Is.EqualTo("name"));
        Assert.That(formats[1]!.Schema!.Value.GetProperty("required")[0].GetString(), Is.EqualTo("city"), "a schema given as JSON text");
        Assert.That(formats[2], Is.Null, "a row without structured_output gets a plain answer");
        Assert.That(rows[0]["generation"]!.GetValue<string>(), Is.EqualTo("{\"name\":\"Ada\"}"));
        Assert.That(rows[2]["generation"]!.GetValue<string>(), Does.Contain("Ada"), "plain rows keep the text");
    }

    [Test]
    public void An_answer_that_is_not_JSON_is_null_when_a_schema_was_asked_for()
    {
        var task = new StructuredGeneration();
        var input = new StructuredGeneration.Input("Invent a person.", new JsonObject { ["schema"] = Schema("name") });

        Assert.That(task.FormatOutput("Sorry, I cannot.", input), Is.Null);
        Assert.That(task.FormatOutput("{\"name\": \"Ada\"}", input)!.Generation, Is.EqualTo("{\"name\":\"Ada\"}"));
    }

    [TestCase("{\"format\": \"regex\", \"schema\": \"[a-z]+\"}", "format \"regex\"; only \"json\"")]
    [TestCase("{\"format\": \"json\"}", "has no 'schema'")]
    [TestCase("{\"schema\": \"not json\"}", "schema is text that is not JSON")]
    [TestCase("{\"schema\": [1, 2]}", "schema is a JSON array")]
    [TestCase("\"json\"", "expected a JSON object")]
    public void A_bad_structured_output_column_is_refused_naming_the_column(string structuredOutput, string expected)
    {
        var llm = new ScriptedChatClient().Otherwise(_ => "{}");
        var task = new StructuredGeneration { Llm = llm };

        var error = Assert.ThrowsAsync<RowValueException>(async () =>
            await task.ProcessAsync([Row("Invent a person.", JsonNode.Parse(structuredOutput))]).ToListAsync());

        Assert.That(error!.Message, Does.Contain("structured_generation").And.Contain("structured_output").And.Contain(expected));
        Assert.That(llm.Requests, Is.Empty);
    }

    [Test]
    public void The_row_is_not_shared_with_the_input_record()
    {
        var row = Row("Invent a person.", new JsonObject { ["schema"] = Schema("name") });

        var input = new StructuredGeneration().ReadInput(row);
        input.StructuredOutput!["schema"] = "changed";

        Assert.That(row["structured_output"]!["schema"], Is.InstanceOf<JsonObject>());
    }
}
