using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Distil.Testing;
using Distil.Tests.Providers;
using Distil.Tests.Support;
using NUnit.Framework;

namespace Distil.Tests.Cli;

/// <summary>
/// After an outage, the real <c>distil</c> process run again on the same run directory asks the
/// rows whose calls failed for good, and only those: not the answered rows, not even the one whose
/// answer was unreadable (paid for). <c>--keep-failed</c> keeps them as they are.
/// </summary>
public class FailedRowRetryCliTests : FakeServerTests
{
    private const int Rows = 6;
    private const int Unreadable = 0;
    private static readonly int[] Failing = [2, 4];
    private const string Refusal = "I would rather not score these responses.";
    private const string Scores = "[1] Score: 4\n[2] Score: 2";

    private TempFolder _temp = null!;

    // The input is written once, so that every run reads the very same source file.
    [SetUp]
    public void CreateWorkFolder()
    {
        _temp = new TempFolder("distil-retry-cli-");
        File.WriteAllLines(Input, Enumerable.Range(0, Rows).Select(i =>
            new JsonObject { ["instruction"] = $"Question {i}?", ["responses"] = new JsonArray("Yes.", "No.") }.ToJsonString()));
    }

    [TearDown]
    public void DeleteWorkFolder() => _temp.Dispose();

    private string Output => Path.Combine(_temp.Path, "scored.jsonl");

    private string Input => Path.Combine(_temp.Path, "answers.jsonl");

    // No retries inside the client: a 500 fails its call for good at once.
    private string[] Run(params string[] extra) =>
        ["run", "--task", "quality_scorer", "--input", Input, "--output", Output, "--run-dir", Path.Combine(_temp.Path, "run"),
            "--model", $"endpoint:{Server.BaseUrl}#fake-model", "--max-retries", "0", .. extra];

    private static int RowOf(FakeRequest request) => int.Parse(Regex.Match(request.Prompt, @"Question (\d+)\?").Groups[1].Value);

    private static async Task<(int ExitCode, string Printed)> RunDistilAsync(string[] arguments)
    {
        using var child = ChildProgram.Distil.Start(arguments);
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        await child.Process.WaitForExitAsync(timeout.Token);
        return (child.Process.ExitCode, child.Output + child.Error);
    }

    // The first run: one row answered with nothing readable, two rows' calls refused by a failing server.
    private async Task RunThroughAnOutageAsync()
    {
        var scores = FakeReplies.Answering(_ => Scores);
        Server.Reply = request => RowOf(request) switch
        {
            Unreadable => new FakeReply.Answer(Refusal),
            var row when Failing.Contains(row) => new FakeReply.ServerError(500),
            _ => scores(request),
        };
        var (exitCode, printed) = await RunDistilAsync(Run());
        Assert.That(exitCode, Is.EqualTo(1), printed);
        Assert.That(printed, Does.Contain($"{Failing.Length} failed"));
        Server.Reply = scores;
    }

    [Test]
    public async Task A_rerun_after_the_server_comes_back_asks_exactly_the_failed_rows_and_exits_0_with_every_row()
    {
        await RunThroughAnOutageAsync();
        var rerunFrom = Server.RequestCount;

        var (exitCode, printed) = await RunDistilAsync(Run());

        Assert.That(exitCode, Is.Zero, printed);
        Assert.That(Server.Requests.Where(r => r.Index >= rerunFrom).Select(RowOf), Is.EquivalentTo(Failing),
            "the failed rows are asked again, once each; neither the answered rows nor the unreadable one");
        Assert.That(printed, Does.Contain($"quality_scorer: {Failing.Length} failed rows from earlier runs retried."));
        var rows = File.ReadAllLines(Output).Select(line => JsonNode.Parse(line)!.AsObject()).ToList();
        Assert.That(rows, Has.Count.EqualTo(Rows));
        for (var i = 0; i < Rows; i++)
        {
            var metadata = rows[i]["distilabel_metadata"]!.AsObject();
            Assert.That(metadata.ContainsKey("error_quality_scorer"), Is.False, rows[i].ToJsonString());
            if (i == Unreadable)
            {
                Assert.That((string?)metadata["raw_output_quality_scorer"], Is.EqualTo(Refusal), "the unreadable answer is kept as it was");
            }
            else
            {
                Assert.That(rows[i]["scores"]!.ToJsonString(), Is.EqualTo("[4,2]"), $"row {i}");
            }
        }
    }

    [Test]
    public async Task With_keep_failed_the_rerun_asks_nothing_and_still_exits_1()
    {
        await RunThroughAnOutageAsync();
        var rerunFrom = Server.RequestCount;

        var (exitCode, printed) = await RunDistilAsync(Run("--keep-failed"));

        Assert.That(exitCode, Is.EqualTo(1), printed);
        Assert.That(Server.RequestCount, Is.EqualTo(rerunFrom), "nothing asked again");
        Assert.That(printed, Does.Not.Contain("retried"));
        Assert.That(printed, Does.Contain($"{Failing.Length} with failed calls"));
    }
}
