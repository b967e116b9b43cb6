using System.Text.Json.Nodes;
using Distil.Testing;
using Distil.Tests.Providers;
using Distil.Tests.Support;
using NUnit.Framework;

namespace Distil.Tests.Cli;

/// <summary>
/// What <c>distil run</c> prints when no terminal shows the live table (a redirected output, a CI
/// log; a child process's output always is), and what its <c>--limit</c> preview shows.
/// </summary>
public class ProgressOutputTests : FakeServerTests
{
    private TempFolder _temp = null!;

    [SetUp]
    public void CreateWorkFolder() => _temp = new TempFolder("distil-progress-cli-");

    [TearDown]
    public void DeleteWorkFolder() => _temp.Dispose();

    private string[] Run(IEnumerable<JsonObject> rows, params string[] extra)
    {
        var input = Path.Combine(_temp.Path, "questions.jsonl");
        File.WriteAllLines(input, rows.Select(r => r.ToJsonString()));
        return ["run", "--task", "text_generation", "--input", input, "--output", Path.Combine(_temp.Path, "answers.jsonl"),
            "--run-dir", Path.Combine(_temp.Path, "run"), "--model", $"endpoint:{Server.BaseUrl}#fake-model", .. extra];
    }

    private static async Task<(int ExitCode, string Printed)> RunDistilAsync(IReadOnlyDictionary<string, string> environment, string[] arguments)
    {
        using var child = ChildProgram.Distil.Start(environment, arguments);
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        await child.Process.WaitForExitAsync(timeout.Token);
        return (child.Process.ExitCode, child.Output + child.Error);
    }

    [Test]
    public async Task A_redirected_run_prints_few_progress_lines_with_no_empty_field_and_one_line_per_finished_step()
    {
        const int rows = 60;
        Server.Reply = FakeReplies.Answering(r => "answer").WithLatency(TimeSpan.FromMilliseconds(40));
        var environment = new Dictionary<string, string> { ["DISTIL_PROGRESS_INTERVAL"] = "0.25" };

        var (exitCode, printed) = await RunDistilAsync(environment,
            Run(Enumerable.Range(0, rows).Select(i => new JsonObject { ["instruction"] = $"Question {i}?" }), "--concurrency", "2"));

        Assert.That(exitCode, Is.Zero, printed);
        var progress = printed.Split('\n').Select(l => l.TrimEnd('\r'))
            .Where(l => l.Contains("Pipeline 'text_generation' step "))
            .Select(l => l[l.IndexOf("Pipeline '", StringComparison.Ordinal)..]) // after the logger's time and category
            .ToList();
        var report = $"{progress.Count} progress lines:\n" + string.Join("\n", progress);
        // A second or more of calls at a 0.25 s interval: a line every 0.25 s at most (a tenth of the time taken, later), for the task only; and one per step when it is done. Even a 20 s run on a busy machine stays under 35.
        Assert.That(progress, Has.Count.InRange(4, 40), report);
        Assert.That(progress, Has.Some.Match(@"step text_generation: [\d,]+ of 60 rows in \(\d+%\), [\d,]+ out, "), report);
        foreach (var step in new[] { "input", "text_generation", "output" })
        {
            Assert.That(progress.Count(l => l.Contains($"step {step} done: 60 rows in, 60 out")), Is.EqualTo(1), report);
        }
        Assert.That(progress, Has.None.Match(@"[a-zA-Z/] ,|, ,|:\s*,|eta\s*$|,\s*$|\d+:\d\d:\d\d"), "no empty field, no clock-style ETA: " + report);
        Assert.That(printed, Does.Contain($"text_generation: {rows} calls this run, 0 failed"), "the summary still comes");
    }

    [Test]
    public async Task A_progress_interval_that_is_not_a_number_of_seconds_is_refused_by_name()
    {
        var (exitCode, printed) = await RunDistilAsync(new Dictionary<string, string> { ["DISTIL_PROGRESS_INTERVAL"] = "30s" },
            Run([new JsonObject { ["instruction"] = "Question?" }]));

        Assert.That(exitCode, Is.EqualTo(2), printed);
        Assert.That(printed, Does.Contain("DISTIL_PROGRESS_INTERVAL must be a number of seconds above 0").And.Contain("not '30s'"));
    }

    [Test]
    public async Task The_limit_preview_shows_the_generated_column_first_even_when_the_input_has_many_columns()
    {
        // Five input columns: an 80-column table has room for three, and the answer must be one of them.
        Server.Reply = FakeReplies.Answering(r => "GENERATED-ANSWER");
        var rows = Enumerable.Range(0, 5).Select(i => new JsonObject
        {
            ["instruction"] = $"Question {i}? " + new string('x', 300), ["id"] = i, ["topic"] = "geography", ["source"] = "atlas", ["notes"] = "none",
        });

        var (exitCode, printed) = await RunDistilAsync(new Dictionary<string, string>(), Run(rows, "--limit", "2"));

        Assert.That(exitCode, Is.Zero, printed);
        var header = printed.Split('\n').First(l => l.Contains("generation"));
        Assert.That(header.IndexOf("generation", StringComparison.Ordinal), Is.LessThan(header.IndexOf("instruction", StringComparison.Ordinal) is var at && at >= 0 ? at : int.MaxValue),
            "the generated column comes before the inputs:\n" + printed);
        Assert.That(printed, Does.Contain("GENERATED-ANSWER"), printed);
        Assert.That(printed, Does.Contain("Not shown").And.Contain("distilabel_metadata."), "the metadata column comes last:\n" + printed);
        Assert.That(printed, Does.Not.Contain(new string('x', 120)), "a long value is cut short:\n" + printed);
    }
}
