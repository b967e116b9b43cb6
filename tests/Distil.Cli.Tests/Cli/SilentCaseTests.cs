using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Distil.Testing;
using Distil.Tests.Providers;
using Distil.Tests.Support;
using NUnit.Framework;

namespace Distil.Tests.Cli;

/// <summary>
/// What a newcomer's pipeline-file run hit, through the real <c>distil</c> process: a row an
/// earlier step failed on does not stop the steps after it; options of a one-task run are refused
/// with <c>--pipeline</c> rather than ignored; a preview of a useless judge warns and exits 1.
/// </summary>
public class SilentCaseTests : FakeServerTests
{
    private const int Rows = 4;
    private const int FailingRow = 1;

    private TempFolder _temp = null!;

    [SetUp]
    public void CreateWorkFolder()
    {
        _temp = new TempFolder("distil-silent-");
        File.WriteAllLines(Path.Combine(_temp.Path, "questions.jsonl"), Enumerable.Range(0, Rows).Select(i =>
            new JsonObject { ["instruction"] = $"Question {i}?" }.ToJsonString()));
        // answer -> review, where review reads the answer as its instruction.
        File.WriteAllText(Path.Combine(_temp.Path, "pipeline.json"), """
            {
              "name": "answer-and-review",
              "steps": [
                { "name": "questions", "load": "questions.jsonl" },
                { "name": "answer", "task": "text_generation", "after": "questions" },
                { "name": "review", "task": "text_generation", "after": "answer", "input_mappings": { "instruction": "generation" },
                  "output_mappings": { "generation": "review" } },
                { "name": "out", "write": "reviewed.jsonl", "after": "review" }
              ]
            }
            """);
    }

    [TearDown]
    public void DeleteWorkFolder() => _temp.Dispose();

    private string[] Run(params string[] extra) =>
        ["run", "--pipeline", Path.Combine(_temp.Path, "pipeline.json"), "--run-dir", Path.Combine(_temp.Path, "run"),
            "--model", $"endpoint:{Server.BaseUrl}#fake-model", "--max-retries", "0", .. extra];

    private static async Task<(int ExitCode, string Printed)> RunDistilAsync(string[] arguments)
    {
        using var child = ChildProgram.Distil.Start(arguments);
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        await child.Process.WaitForExitAsync(timeout.Token);
        return (child.Process.ExitCode, child.Output + child.Error);
    }

    private List<JsonObject> Written() =>
        File.ReadAllLines(Path.Combine(_temp.Path, "reviewed.jsonl")).Select(line => JsonNode.Parse(line)!.AsObject()).ToList();

    [Test]
    public async Task A_row_an_earlier_step_failed_on_is_not_asked_later_is_written_with_why_and_is_asked_on_the_rerun()
    {
        // The answer to question 1 fails for good; every other call is answered.
        Server.Reply = request => request.Prompt.Contains($"Question {FailingRow}?")
            ? new FakeReply.ServerError(500)
            : new FakeReply.Answer("answer to " + request.LastMessage);

        var (exitCode, printed) = await RunDistilAsync(Run());

        Assert.That(exitCode, Is.EqualTo(1), printed);
        Assert.That(printed, Does.Not.Contain("cannot read input row"), "the review step does not stop the run");
        var rows = Written();
        Assert.That(rows, Has.Count.EqualTo(Rows), "every row is written, the failed one with null outputs");
        var failed = rows.Single(r => (string?)r["instruction"] == $"Question {FailingRow}?");
        Assert.That(failed["generation"], Is.Null);
        Assert.That(failed["review"], Is.Null);
        var metadata = failed["distilabel_metadata"]!.AsObject();
        Assert.That((string?)metadata["output_error_review"], Does.StartWith("not asked: an earlier step failed on this row"));
        Assert.That((string?)metadata["error_review"], Does.Contain("error_answer"));
        Assert.That(Server.Requests.Count(r => r.Prompt.StartsWith("answer to", StringComparison.Ordinal)), Is.EqualTo(Rows - 1),
            "the review asked only the answered rows");
        Assert.That(rows.Where(r => r != failed).Select(r => (string?)r["review"]), Has.All.StartsWith("answer to answer to"));

        // The server is back: the rerun asks the failed answer and its review, and nothing else.
        Server.Reply = request => new FakeReply.Answer("answer to " + request.LastMessage);
        var before = Server.RequestCount;
        var (rerunExit, rerun) = await RunDistilAsync(Run());

        Assert.That(rerunExit, Is.Zero, rerun);
        Assert.That(Server.RequestCount - before, Is.EqualTo(2), "one answer and one review");
        Assert.That(Written().Single(r => (string?)r["instruction"] == $"Question {FailingRow}?")["review"]?.GetValue<string>(),
            Is.EqualTo($"answer to answer to Question {FailingRow}?"));
    }

    [TestCase("--num-generations", "2", "\"num_generations\"")]
    [TestCase("--output", "elsewhere.jsonl", "\"write\"")]
    [TestCase("--input", "other.jsonl", "\"load\"")]
    [TestCase("--structured", null, "\"structured\": true")]
    [TestCase("--reasks", "1", "STEP.reasks")]
    [TestCase("--concurrency", "4", "\"concurrency\"")]
    [TestCase("--format", "csv", "\"write\"")]
    public async Task An_option_of_a_one_task_run_is_refused_with_a_pipeline_and_says_where_its_setting_goes(string option, string? value, string instead)
    {
        string[] extra = value is null ? [option] : [option, value];

        var (exitCode, printed) = await RunDistilAsync(Run([.. extra, "--dry-run"]));

        Assert.That(exitCode, Is.EqualTo(2), printed);
        Assert.That(printed, Does.Contain($"distil run: {option} applies to a one-task run (--task); with --pipeline, ").And.Contain(instead));
        Assert.That(Server.RequestCount, Is.Zero);
    }

    [Test]
    public async Task A_preview_of_a_step_with_no_readable_answer_warns_and_exits_1()
    {
        // quality_scorer reads scores from its answers; this server never gives one.
        File.WriteAllLines(Path.Combine(_temp.Path, "answers.jsonl"), Enumerable.Range(0, Rows).Select(i =>
            new JsonObject { ["instruction"] = $"Question {i}?", ["responses"] = new JsonArray("Yes.", "No.") }.ToJsonString()));
        File.WriteAllText(Path.Combine(_temp.Path, "pipeline.json"), """
            {
              "name": "scored",
              "steps": [
                { "name": "answers", "load": "answers.jsonl" },
                { "name": "judge", "task": "quality_scorer", "after": "answers" },
                { "name": "out", "write": "scored.jsonl", "after": "judge" }
              ]
            }
            """);
        Server.Reply = _ => new FakeReply.Answer("I would rather not score these.");

        var (exitCode, printed) = await RunDistilAsync(Run("--limit", "2"));

        Assert.That(exitCode, Is.EqualTo(1), printed);
        Assert.That(printed, Does.Contain("judge: 2 calls this run, 0 failed, 2 answers unreadable"));
        Assert.That(printed, Does.Contain("step 'judge' gave no readable answer"));
        Assert.That(Regex.IsMatch(printed, @"\b1 calls\b"), Is.False);
    }
}
