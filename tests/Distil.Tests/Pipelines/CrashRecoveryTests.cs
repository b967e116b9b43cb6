using System.Diagnostics;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Distil.Testing;
using Distil.Tests.Providers;
using Distil.Tests.Support;
using NUnit.Framework;

namespace Distil.Tests.Pipelines;

/// <summary>
/// A real process running the pipeline sample is killed (SIGKILL) mid-way and started again: every
/// row comes out exactly once, as in an uninterrupted run, and no finished row is asked again.
/// </summary>
public class CrashRecoveryTests : FakeServerTests
{
    private const int Rows = 2000;
    private string _work = null!;

    [SetUp]
    public void CreateWorkFolder() => _work = Directory.CreateTempSubdirectory("distil-crash-").FullName;

    [TearDown]
    public void DeleteWorkFolder() => Directory.Delete(_work, recursive: true);

    private static readonly Regex QuestionNumber = new(@"Question (\d+):", RegexOptions.Compiled);

    [Test]
    public async Task A_killed_run_resumes_and_writes_every_row_exactly_once_without_asking_again_for_finished_rows()
    {
        // Every prompt gets a deterministic answer after 10 ms; the judge's prompts a parseable score.
        Server.Reply = FakeReplies.Answering(r => r.LastMessage.Contains("[1] Score", StringComparison.Ordinal)
                ? "[1] Score: " + (1 + r.LastMessage.Length % 5)
                : "answer to " + QuestionNumber.Match(r.LastMessage).Value)
            .WithLatency(TimeSpan.FromMilliseconds(10));

        var uninterrupted = Path.Combine(_work, "uninterrupted.jsonl");
        Assert.That(await RunToEndAsync(Path.Combine(_work, "run-a"), uninterrupted), Is.EqualTo(0));
        Server.ResetStatistics();

        var runDirectory = Path.Combine(_work, "run-b");
        var output = Path.Combine(_work, "resumed.jsonl");
        using (var child = Start(runDirectory, output))
        {
            // Kill it once a few hundred answers are committed, well before the end.
            var store = Path.Combine(runDirectory, "distil-run.db");
            var clock = Stopwatch.StartNew();
            while (CommittedCount(store, "judge") < 300)
            {
                if (child.HasExited) Assert.Fail("The child ended before it could be killed: " + await child.StandardError.ReadToEndAsync());
                Assert.That(clock.Elapsed, Is.LessThan(TimeSpan.FromSeconds(60)), "the child committed too little");
                await Task.Delay(50);
            }
            child.Kill(entireProcessTree: true); // SIGKILL: no cleanup, no flush
            await child.WaitForExitAsync();
        }
        var answered = PipelineTests.StoredKeys(Path.Combine(runDirectory, "distil-run.db"), "answer").Select(int.Parse).ToHashSet();
        var judged = PipelineTests.StoredKeys(Path.Combine(runDirectory, "distil-run.db"), "judge").Select(int.Parse).ToHashSet();
        Assert.That(answered.Count, Is.InRange(300, Rows - 1), "killed mid-way");
        Assert.That(File.Exists(output), Is.False, "a killed run leaves no output file");
        var resumedFrom = Server.RequestCount;

        Assert.That(await RunToEndAsync(runDirectory, output), Is.EqualTo(0));

        var lines = File.ReadAllLines(output);
        var ids = lines.Select(l => (int)JsonNode.Parse(l)!["id"]!).ToList();
        Assert.That(ids, Is.EqualTo(Enumerable.Range(0, Rows)), "every input row exactly once, in order");
        Assert.That(lines, Is.EqualTo(File.ReadAllLines(uninterrupted)), "the same dataset as an uninterrupted run");
        var asked = Server.Requests.Where(r => r.Index >= resumedFrom).ToList();
        var askedAnswers = asked.Where(r => !r.LastMessage.Contains("[1] Score", StringComparison.Ordinal)).Select(Row).ToList();
        var askedJudgements = asked.Where(r => r.LastMessage.Contains("[1] Score", StringComparison.Ordinal)).Select(Row).ToList();
        Assert.That(askedAnswers.Where(answered.Contains), Is.Empty, "no second request for a row whose answer was committed");
        Assert.That(askedJudgements.Where(judged.Contains), Is.Empty, "no second request for a row whose judgement was committed");
        Assert.That(askedAnswers.Distinct().Count(), Is.EqualTo(askedAnswers.Count));
    }

    private static int Row(FakeRequest request) => int.Parse(QuestionNumber.Match(request.LastMessage).Groups[1].Value);

    private async Task<int> RunToEndAsync(string runDirectory, string output)
    {
        var (exitCode, error) = await PipelineSample.RunAsync(Arguments(runDirectory, output));
        if (exitCode != 0) Assert.Fail($"The child exited with {exitCode}: {error}");
        return exitCode;
    }

    private Process Start(string runDirectory, string output) => PipelineSample.Start(Arguments(runDirectory, output));

    private string[] Arguments(string runDirectory, string output) =>
        ["--model", $"endpoint:{Server.BaseUrl}#fake-model", "--rows", Rows.ToString(), "--concurrency", "8", "--run-dir", runDirectory, "--out", output];

    // The child creates the file, then its tables: until both exist, nothing is committed.
    private static long CommittedCount(string store, string step)
    {
        try
        {
            return File.Exists(store) ? PipelineTests.StoredKeys(store, step).Count : 0;
        }
        catch (Microsoft.Data.Sqlite.SqliteException)
        {
            return 0;
        }
    }
}
