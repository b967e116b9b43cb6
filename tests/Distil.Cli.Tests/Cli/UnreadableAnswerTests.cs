using System.Text.Json.Nodes;
using Distil.Testing;
using Distil.Tests.Providers;
using Distil.Tests.Support;
using NUnit.Framework;

namespace Distil.Tests.Cli;

/// <summary>
/// "Nothing readable" through the real <c>distil</c> process: a text-mode scorer whose answer gives
/// no score is re-asked, counted and reported as unreadable, and written in distilabel's shape.
/// </summary>
public class UnreadableAnswerTests : FakeServerTests
{
    private const int Rows = 6;
    private const string Refusal = "I would rather not score these responses.";

    private TempFolder _temp = null!;

    [SetUp]
    public void CreateWorkFolder() => _temp = new TempFolder("distil-unreadable-");

    [TearDown]
    public void DeleteWorkFolder() => _temp.Dispose();

    private string Output => Path.Combine(_temp.Path, "scored.jsonl");

    private string RunDirectory => Path.Combine(_temp.Path, "run");

    private string[] Run(params string[] extra)
    {
        var input = Path.Combine(_temp.Path, "answers.jsonl");
        File.WriteAllLines(input, Enumerable.Range(0, Rows).Select(i =>
            new JsonObject { ["instruction"] = $"Question {i}?", ["responses"] = new JsonArray("Yes.", "No.") }.ToJsonString()));
        // Text mode is quality_scorer's default: no --structured.
        return ["run", "--task", "quality_scorer", "--input", input, "--output", Output, "--run-dir", RunDirectory,
            "--model", $"endpoint:{Server.BaseUrl}#fake-model", .. extra];
    }

    // The exit code and everything the tool printed (the run's summary is logged to either stream).
    private static async Task<(int ExitCode, string Printed)> RunDistilAsync(string[] arguments)
    {
        using var child = ChildProgram.Distil.Start(arguments);
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        await child.Process.WaitForExitAsync(timeout.Token);
        return (child.Process.ExitCode, child.Output + child.Error);
    }

    private List<JsonObject> OutputRows() => File.ReadAllLines(Output).Select(line => JsonNode.Parse(line)!.AsObject()).ToList();

    [Test]
    public async Task A_text_mode_scorer_whose_first_answers_are_unreadable_is_answered_after_exactly_one_reask_per_row()
    {
        // Every conversation's first answer gives no score at all; every re-ask gets a readable one.
        Server.Reply = FakeReplies.Answering(_ => "[1] Score: 4\n[2] Score: 2")
            .OnFirstTurn(_ => new FakeReply.Answer(Refusal));

        var (exitCode, error) = await RunDistilAsync(Run("--reasks", "2"));

        Assert.That(exitCode, Is.Zero, error);
        var perRow = Server.Requests.GroupBy(r => Enumerable.Range(0, Rows).Single(i => r.Prompt.Contains($"Question {i}?")));
        Assert.That(perRow.Select(g => g.Key), Is.EquivalentTo(Enumerable.Range(0, Rows)), "every row was asked");
        foreach (var row in perRow)
        {
            Assert.That(row.Select(r => r.AssistantTurns), Is.EqualTo(new[] { 0, 1 }), $"row {row.Key}: the first ask, then exactly one re-ask");
            Assert.That(row.Last().Prompt, Does.Contain(Refusal), "the re-ask sends the unreadable answer back");
        }
        Assert.That(Server.RequestCount, Is.EqualTo(2 * Rows));
        var rows = OutputRows();
        Assert.That(rows, Has.Count.EqualTo(Rows));
        foreach (var row in rows)
        {
            Assert.That(row["scores"]!.ToJsonString(), Is.EqualTo("[4,2]"));
            Assert.That((int?)row["distilabel_metadata"]!["reasks_quality_scorer"], Is.EqualTo(1));
        }
        Assert.That(error, Does.Contain($"quality_scorer: {2 * Rows} calls this run, 0 failed, 0 answers unreadable, 0 broke a rule ({Rows} asked again, {Rows} then fit)"));
    }

    [Test]
    public async Task Answers_that_stay_unreadable_keep_distilabels_shape_and_are_counted_in_the_summary_and_the_report()
    {
        Server.Reply = FakeReplies.Answering(_ => Refusal);

        var (exitCode, error) = await RunDistilAsync(Run());

        // No answer was readable: the run says so and exits 1, with every row kept and written.
        Assert.That(exitCode, Is.EqualTo(1), error);
        Assert.That(error, Does.Contain("distil run: step 'quality_scorer' gave no readable answer"));
        Assert.That(Server.RequestCount, Is.EqualTo(Rows), "no re-asks without --reasks");
        foreach (var row in OutputRows())
        {
            Assert.That(row["scores"]!.ToJsonString(), Is.EqualTo("[null,null]"), "one null per response, as distilabel writes it");
            Assert.That((string?)row["distilabel_metadata"]!["raw_output_quality_scorer"], Is.EqualTo(Refusal));
            Assert.That((string?)row["distilabel_metadata"]!["output_error_quality_scorer"], Is.EqualTo("unreadable: the answer did not follow the task's answer format, or gave no value"));
        }
        Assert.That(error, Does.Contain($"quality_scorer: {Rows} calls this run, 0 failed, {Rows} answers unreadable, 0 broke a rule, "));

        var report = Path.Combine(_temp.Path, "report.html");
        var (reportExit, reportError) = await ChildProgram.Distil.RunAsync("report", RunDirectory, "--output", report);
        Assert.That(reportExit, Is.Zero, reportError);
        Assert.That(File.ReadAllText(report), Does.Contain($"data-stat=\"unparsed-generations\">{Rows}<"));
    }
}
