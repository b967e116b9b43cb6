using System.Text.Json.Nodes;
using Distil.Testing;
using NUnit.Framework;

namespace Distil.Tests.Catalogue;

/// <summary>
/// DataAnnotations on output properties reach the strict JSON schema (where OpenAI's strict mode
/// takes them) and the check of every parsed answer: a broken one gives null outputs and the reason.
/// </summary>
public class DeclaredRuleTests
{
    private const string Good = """{"rating": 4, "weights": [0.2, 0.8], "verdict": "yes", "code": "ABC-12"}""";

    [Test]
    public void The_schema_carries_range_item_count_enum_and_pattern()
    {
        var schema = JsonNode.Parse(new AnnotatedTask().StructuredOutputSchema)!["properties"]!;

        Assert.That((schema["rating"]!["minimum"]!.GetValue<double>(), schema["rating"]!["maximum"]!.GetValue<double>()), Is.EqualTo((1d, 5d)));
        Assert.That((schema["weights"]!["minItems"]!.GetValue<int>(), schema["weights"]!["maxItems"]!.GetValue<int>()), Is.EqualTo((2, 3)));
        Assert.That(schema["weights"]!["items"]!["maximum"]!.GetValue<double>(), Is.EqualTo(1d));
        Assert.That(schema["verdict"]!["enum"]!.AsArray().Select(v => (string?)v), Is.EqualTo(new[] { "yes", "no" }));
        Assert.That((string?)schema["code"]!["pattern"], Is.EqualTo("[A-Z]{3}-[0-9]+"));
    }

    [Test]
    public void The_column_schema_carries_the_rules_a_run_checks()
    {
        var schema = new AnnotatedTask().OutputSchema;

        Assert.That(schema.Find("rating")!.Rules, Is.EqualTo(new ColumnRules(Minimum: 1, Maximum: 5)));
        Assert.That(schema.Find("weights")!.Rules, Is.EqualTo(new ColumnRules(Minimum: 0, Maximum: 1, MinLength: 2, MaxLength: 3)));
        Assert.That(schema.Find("verdict")!.Rules, Is.EqualTo(new ColumnRules(AllowedValues: ["yes", "no"])));
        Assert.That(schema.Find("code")!.Rules, Is.EqualTo(new ColumnRules(MaxLength: 12, Pattern: "[A-Z]{3}-[0-9]+")));
        Assert.That(schema.Find("parts")!.Rules, Is.Null, "the rule is on the nested record's field");
        Assert.That(schema.Find("parts")!.Type.Element!.Field("size")!.Rules, Is.EqualTo(new ColumnRules(Minimum: 0, Maximum: 9)));
        Assert.That(new AnnotatedTask().InputSchema.Single().Rules, Is.Null, "inputs are not checked, so they claim no rules");

        Assert.That(schema.Find("weights")!.ToString(), Is.EqualTo("weights: list<double> [0..1 each, 2..3 items]"));
        Assert.That(schema.Find("verdict")!.ToString(), Is.EqualTo("verdict: string [one of yes|no]"));
        Assert.That(schema.Find("code")!.ToString(), Is.EqualTo("code: string [..12 chars, matches /[A-Z]{3}-[0-9]+/]"));
    }

    [Test]
    public void Grouped_generations_drop_rules_that_speak_of_one_value()
    {
        var task = new AnnotatedTask { NumGenerations = 2, GroupGenerations = true };

        var after = task.SchemaAfter(task.InputSchema);

        Assert.That(after.Find("weights")!.Type, Is.EqualTo(ColumnType.ListOf(ColumnType.ListOf(ColumnType.Number))));
        Assert.That(after.Find("weights")!.Rules, Is.Null);
        Assert.That(new AnnotatedTask().SchemaAfter(task.InputSchema).Find("weights")!.Rules, Is.Not.Null);
    }

    [Test]
    public void The_grammar_holds_small_ranges_value_sets_and_minimum_counts()
    {
        var grammar = new AnnotatedTask().StructuredOutputGrammar;

        Assert.That(grammar, Does.Contain("(\"1\" | \"2\" | \"3\" | \"4\" | \"5\")"));
        Assert.That(grammar, Does.Contain("(\"\\\"yes\\\"\" | \"\\\"no\\\"\")"));
        Assert.That(grammar, Does.Contain("\"[\" number-0-1 (\",\" number-0-1){1,2} \"]\""), "two or three weights");
        Assert.That(grammar, Does.Contain("number-0-1 ::= (\"0\") (\".\" [0-9]{1,15})? | \"1\" (\".\" \"0\"{1,15})?"), "each weight from 0 to 1, decimals included");
    }

    [Test]
    public async Task The_tiny_local_model_decoding_under_the_grammar_keeps_the_rules_the_grammar_holds()
    {
        using var llm = Distil.LlamaSharp.LocalChatClient.Load(Support.TestModel.Path, contextSize: 512);
        var task = new AnnotatedTask
        {
            Llm = llm,
            UseDefaultStructuredOutput = true,
            GenerationOptions = new Microsoft.Extensions.AI.ChatOptions { MaxOutputTokens = 120, Seed = 3 },
        };

        var rows = await task.ProcessAsync(Enumerable.Range(0, 4).Select(i => new JsonObject { ["text"] = $"item {i}" })).ToListAsync();

        // Random weights write gibberish, but never a rating or verdict the grammar leaves out.
        TestContext.Out.WriteLine(string.Join("\n", rows.Select(r => r["distilabel_metadata"]!["raw_output_annotated"] + " => " + r["distilabel_metadata"]!["output_error_annotated"])));
        Assert.That(rows.Count(r => r["rating"] is not null || r["distilabel_metadata"]!["output_error_annotated"] is not null), Is.EqualTo(4),
            "every answer was complete JSON that parsed (then kept or set aside by a rule)");
        foreach (var row in rows)
        {
            var reason = (string?)row["distilabel_metadata"]!["output_error_annotated"];
            Assert.That(reason ?? "", Does.Not.Contain("'rating'").And.Not.Contain("'verdict'").And.Not.Contain("'weights' has"), row.ToJsonString());
        }
    }

    [TestCase(Good, null)]
    [TestCase("""{"rating": 9, "weights": [0.2, 0.8], "verdict": "yes", "code": "ABC-12"}""", "'rating' holds 9, outside 1 to 5")]
    [TestCase("""{"rating": 4, "weights": [0.2, 1.8], "verdict": "yes", "code": "ABC-12"}""", "'weights' holds 1.8, outside 0 to 1")]
    [TestCase("""{"rating": 4, "weights": [0.2], "verdict": "yes", "code": "ABC-12"}""", "'weights' has 1 item, not 2 to 3")]
    [TestCase("""{"rating": 4, "weights": [0.2, 0.8], "verdict": "maybe", "code": "ABC-12"}""", "'verdict' holds 'maybe', not one of yes, no")]
    [TestCase("""{"rating": 4, "weights": [0.2, 0.8], "verdict": "no", "code": "ABC-12x"}""", "'code' does not match [A-Z]{3}-[0-9]+")]
    [TestCase("""{"rating": 4, "weights": [0.2, 0.8], "verdict": "no", "code": "ABC-12", "parts": [{"size": 3}, {"size": 12}]}""", "'parts[].size' holds 12, outside 0 to 9")]
    public async Task An_answer_that_breaks_a_declared_rule_gives_null_outputs_and_the_reason(string answer, string? reason)
    {
        var task = new AnnotatedTask { Llm = new ScriptedChatClient(_ => ScriptedChatClient.Answer(answer)), UseDefaultStructuredOutput = true };

        var row = (await task.ProcessAsync([new JsonObject { ["text"] = "t" }]).ToListAsync()).Single();

        Assert.That((string?)row["distilabel_metadata"]!["output_error_annotated"], Is.EqualTo(reason));
        Assert.That(row["rating"] is null, Is.EqualTo(reason is not null));
        Assert.That(task.ParseRow(answer, new JsonObject { ["text"] = "t" })["rating"] is null, Is.EqualTo(reason is not null), "distil parse agrees");
    }
}
