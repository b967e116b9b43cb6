using System.Text.Json.Nodes;
using Distil.Pipelines;
using Distil.Tasks;
using Distil.Testing;
using Distil.Tests.Support;
using NUnit.Framework;

namespace Distil.Tests.Review;

/// <summary>
/// A pipeline file's <c>"load": {"reviewed": ...}</c> through the real <c>distil</c> process: the labelled rows of another
/// run come out of the pipeline; bad keys, steps and keeps are errors naming the step; the schema knows the form.
/// </summary>
public class ReviewedPipelineFileTests
{
    private TempFolder _temp = null!;

    [SetUp]
    public void CreateWorkFolder() => _temp = new TempFolder("distil-reviewed-file-");

    [TearDown]
    public void DeleteWorkFolder() => _temp.Dispose();

    // Three questions answered in run/; row 0 accepted and corrected, row 1 rejected.
    private async Task RunAndLabelAsync()
    {
        var llm = new ScriptedChatClient().Otherwise(request => ScriptedChatClient.Answer("an answer to " + request.UserText, 10, 5));
        var pipeline = Pipeline.Create("answers");
        pipeline.RunDirectory = _temp.File("run");
        pipeline.Load(Enumerable.Range(0, 3).Select(i => new JsonObject { ["instruction"] = $"question {i}?" }), "questions")
            .Then(new TextGeneration { Name = "answer", Llm = llm });
        await pipeline.RunAsync(new PipelineRunOptions { Progress = ProgressMode.None });
        using var review = RunReview.Open(_temp.File("run"));
        review.SetVerdict("answer", "0", ReviewVerdict.Accepted);
        review.Correct("answer", "0", "generation", "Paris.");
        review.SetVerdict("answer", "1", ReviewVerdict.Rejected);
    }

    private string PipelineFile(string load)
    {
        var file = _temp.File("after-review.json");
        File.WriteAllText(file, $$"""
            {
              "name": "after-review",
              "steps": [
                { "name": "reviewed", "load": {{load}} },
                { "name": "out", "write": "out.jsonl", "after": "reviewed" }
              ]
            }
            """);
        return file;
    }

    private List<JsonObject> Written() => File.ReadAllLines(_temp.File("out.jsonl")).Select(l => JsonNode.Parse(l)!.AsObject()).ToList();

    [Test]
    public async Task The_accepted_rows_come_out_of_the_pipeline_with_their_corrections()
    {
        await RunAndLabelAsync();
        var file = PipelineFile("""{ "reviewed": "run", "step": "answer", "keep": "accepted" }""");

        var (exitCode, error) = await ChildProgram.Distil.RunAsync("run", "--pipeline", file, "--run-dir", _temp.File("second-run"));

        Assert.That(exitCode, Is.Zero, error);
        var rows = Written();
        Assert.That(rows.Select(r => (string?)r["instruction"]), Is.EqualTo(new[] { "question 0?" }));
        Assert.That((string?)rows[0]["generation"], Is.EqualTo("Paris."));
        Assert.That((string?)rows[0]["review_status"], Is.EqualTo("accepted"));
        Assert.That(rows[0]["review_corrected"]!.ToJsonString(), Is.EqualTo("""["generation"]"""));
    }

    [Test]
    public async Task Without_step_and_keep_every_row_of_the_last_step_comes_out()
    {
        await RunAndLabelAsync();
        var file = PipelineFile("""{ "reviewed": "run" }""");

        var (exitCode, error) = await ChildProgram.Distil.RunAsync("run", "--pipeline", file, "--run-dir", _temp.File("second-run"));

        Assert.That(exitCode, Is.Zero, error);
        Assert.That(Written().Select(r => (string?)r["review_status"]), Is.EqualTo(new[] { "accepted", "rejected", null }));
    }

    [TestCase("""{ "reviewed": "run", "kepp": "accepted" }""", "\"kepp\"", "did you mean \"keep\"")]
    [TestCase("""{ "reviewed": "run", "step": "answr" }""", "no step 'answr'", "did you mean 'answer'")]
    [TestCase("""{ "reviewed": "run", "keep": "good" }""", "'good'", "not_rejected")]
    [TestCase("""{ "reviewed": "elsewhere" }""", "elsewhere", "has no run store")]
    public async Task A_bad_reviewed_load_is_an_error_naming_the_step(string load, string names, string hint)
    {
        await RunAndLabelAsync();
        var file = PipelineFile(load);

        var (exitCode, error) = await ChildProgram.Distil.RunAsync("check", file);

        Assert.That(exitCode, Is.EqualTo(2), error);
        Assert.That(error, Does.Contain("reviewed").And.Contain(names).And.Contain(hint));
    }

    [Test]
    public async Task The_schema_gives_load_a_file_name_or_a_reviewed_object_of_known_keys()
    {
        using var child = ChildProgram.Distil.Start("schema");
        await child.Process.WaitForExitAsync();
        var schema = JsonNode.Parse(child.Output)!;

        var load = schema["properties"]!["steps"]!["items"]!["oneOf"]!.AsArray()
            .Select(kind => kind!["properties"]!["load"]).Single(l => l is not null)!;
        var forms = load["oneOf"]!.AsArray();
        Assert.That((string?)forms[0]!["type"], Is.EqualTo("string"));
        Assert.That(forms[1]!["properties"]!.AsObject().Select(p => p.Key), Is.EqualTo(new[] { "reviewed", "step", "keep" }));
        Assert.That((bool?)forms[1]!["additionalProperties"], Is.False);
        Assert.That(forms[1]!["required"]!.ToJsonString(), Is.EqualTo("""["reviewed"]"""));
    }
}
