using System.Text.Json.Nodes;
using Distil.Tasks;
using Distil.Testing;
using NUnit.Framework;

namespace Distil.Tests.Catalogue;

/// <summary>
/// Rules that depend on the row (one score per response, a score in its scale): an answer that
/// breaks one gives null outputs and its reason under <c>output_error_&lt;task&gt;</c>, in text and
/// structured mode alike, while the raw answer is kept.
/// </summary>
public class OutputRuleTests
{
    private const string TwoResponses = """{"instruction": "q", "responses": ["a", "b"]}""";
    private const string TwoGenerations = """{"instruction": "q", "generations": ["a", "b"]}""";

    [TestCase("quality_scorer", TwoResponses, true, """{"scores": [137]}""", "'scores' has 1 item for 2 responses")]
    [TestCase("quality_scorer", TwoResponses, true, """{"scores": []}""", "'scores' has 0 items for 2 responses")]
    [TestCase("quality_scorer", TwoResponses, true, """{"scores": [4, 9.98e+81]}""", "'scores' holds 9.98E+81, outside 1 to 6")]
    [TestCase("quality_scorer", TwoResponses, true, """{"scores": [-3, null, null, null]}""", "'scores' has 4 items for 2 responses")]
    [TestCase("quality_scorer", TwoResponses, false, "[1] Score: 4\n[2] Score: 9", "'scores' holds 9, outside 1 to 6")]
    [TestCase("complexity_scorer", """{"instructions": ["a", "b"]}""", true, """{"scores": [1, 2, 3]}""", "'scores' has 3 items for 2 instructions")]
    [TestCase("complexity_scorer", """{"instructions": ["a", "b"]}""", false, "[1] Score: 2\n[2] Score: 9", "'scores' holds 9, outside 1 to 6")]
    [TestCase("ultrafeedback", TwoGenerations, false, "Rating: 7\nRationale: r\n\nRating: 4\nRationale: s", "'ratings' holds 7, outside 1 to 5")]
    [TestCase("ultrafeedback", TwoGenerations, true, """{"ratings": [5], "rationales": ["r"], "types": null, "rationales-for-ratings": null}""", "'ratings' has 1 item for 2 generations")]
    [TestCase("ultrafeedback", TwoGenerations, true, """{"ratings": [5, 7], "rationales": ["r", "s"], "types": null, "rationales-for-ratings": null}""", "'ratings' holds 7, outside 1 to 5")]
    [TestCase("prometheus_eval", """{"instruction": "q", "generation": "a"}""", true, """{"feedback": "fine", "result": 9}""", "'result' holds 9, outside 1 to 5")]
    public async Task An_answer_that_breaks_a_rule_of_its_row_gives_null_outputs_and_the_reason(string name, string row, bool structured, string answer, string reason)
    {
        var task = BuiltInTasks.Create(name);
        task.UseDefaultStructuredOutput = structured;
        task.Llm = new ScriptedChatClient(_ => ScriptedChatClient.Answer(answer));

        var output = (await task.ProcessAsync([JsonNode.Parse(row)!.AsObject()]).ToListAsync()).Single();

        // Nothing readable, in distilabel's shape: per-response lists hold one null per item (two here).
        Assert.That(task.Outputs.Select(c => output[c]?.ToJsonString() ?? "null"), Has.All.Matches<string>(v => v is "null" or "[null,null]"), output.ToJsonString());
        var metadata = output[LlmTask.DefaultMetadataColumn]!;
        Assert.That((string?)metadata[$"output_error_{name}"], Is.EqualTo(reason));
        Assert.That((string?)metadata[$"raw_output_{name}"], Is.EqualTo(answer), "the raw answer is kept");
        Assert.That(metadata[$"error_{name}"], Is.Null, "not a failed call");
        Assert.That(task.ParseRow(answer, JsonNode.Parse(row)!.AsObject()).ToJsonString(),
            Is.EqualTo(new JsonObject(task.Outputs.Select(c => KeyValuePair.Create(c, output[c]?.DeepClone()))).ToJsonString()), "distil parse agrees");
    }

    [TestCase("quality_scorer", "scores", "scores: list<double> [1..6 each]")]
    [TestCase("complexity_scorer", "scores", "scores: list<double> [1..6 each]")]
    [TestCase("ultrafeedback", "ratings", "ratings: list<int64> [1..5 each]")]
    [TestCase("prometheus_eval", "result", "result: int64 [1..5]")]
    public void The_fixed_rules_of_built_in_tasks_reach_their_column_schema(string name, string column, string expected)
    {
        var task = BuiltInTasks.Create(name);

        Assert.That(task.OutputSchema.Find(column)!.ToString(), Is.EqualTo(expected));
        Assert.That(BuiltInTasks.Create("prometheus_eval", ["mode=relative"]).OutputSchema.Find("result")!.ToString(), Is.EqualTo("result: string [one of A|B]"));
    }

    [Test]
    public async Task A_relative_verdict_must_name_one_of_the_two_responses()
    {
        var task = BuiltInTasks.Create("prometheus_eval", ["mode=relative"]);
        task.UseDefaultStructuredOutput = true;
        task.Llm = new ScriptedChatClient(_ => ScriptedChatClient.Answer("""{"feedback": "x", "result": "C"}"""));

        var output = (await task.ProcessAsync([JsonNode.Parse(TwoGenerations)!.AsObject()]).ToListAsync()).Single();

        Assert.That(output["result"], Is.Null);
        Assert.That((string?)output[LlmTask.DefaultMetadataColumn]!["output_error_prometheus_eval"], Is.EqualTo("'result' holds 'C', not one of A, B"));
    }

    [TestCase("""{"labels": ["praise", "complaint"]}""", "'labels' has 2 items for at most 1")]
    [TestCase("""{"labels": ["spam"]}""", "'labels' holds 'spam', which is not one of praise, complaint (nor 'Unclassified')")]
    [TestCase("""{"labels": ["Unclassified"]}""", null)]
    public async Task A_classification_keeps_to_its_number_of_labels_and_its_label_set(string answer, string? reason)
    {
        var task = BuiltInTasks.Create("text_classification", ["available_labels=[\"praise\", \"complaint\"]"]);
        task.Llm = new ScriptedChatClient(_ => ScriptedChatClient.Answer(answer));

        var output = (await task.ProcessAsync([new JsonObject { ["text"] = "Cold food." }]).ToListAsync()).Single();

        Assert.That((string?)output[LlmTask.DefaultMetadataColumn]!["output_error_text_classification"], Is.EqualTo(reason));
        Assert.That(output["labels"] is null, Is.EqualTo(reason is not null));
    }

    [Test]
    public async Task An_answer_that_keeps_the_rules_is_kept_with_no_output_error()
    {
        var task = BuiltInTasks.Create("quality_scorer");
        task.UseDefaultStructuredOutput = true;
        task.Llm = new ScriptedChatClient(_ => ScriptedChatClient.Answer("""{"scores": [4, 5.5]}"""));

        var output = (await task.ProcessAsync([JsonNode.Parse(TwoResponses)!.AsObject()]).ToListAsync()).Single();

        Assert.That(output["scores"]!.ToJsonString(), Is.EqualTo("[4,5.5]"));
        Assert.That(output[LlmTask.DefaultMetadataColumn]!.AsObject().ContainsKey("output_error_quality_scorer"), Is.False);
    }
}
