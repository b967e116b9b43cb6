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
    private TempFolder _temp = null!;

    [SetUp]
    public void CreateWorkFolder() => _temp = new TempFolder("distil-crash-");

    [TearDown]
    public void DeleteWorkFolder() => _temp.Dispose();

    private static readonly Regex QuestionNumber = new(@"Question (\d+):", RegexOptions.Compiled);

    [Test]
    public async Task A_killed_run_resumes_and_writes_every_row_exactly_once_without_asking_again_for_finished_rows()
    {
        // Every prompt gets a deterministic answer after 10 ms; the judge's prompts a parseable score.
        Server.Reply = FakeReplies.Answering(r => r.LastMessage.Contains("[1] Score", StringComparison.Ordinal)
                ? "[1] Score: " + (1 + r.LastMessage.Length % 5)
                : "answer to " + QuestionNumber.Match(r.LastMessage).Value)
            .WithLatency(TimeSpan.FromMilliseconds(10));

        var uninterrupted = Path.Combine(_temp.Path, "uninterrupted.jsonl");
        Assert.That(await RunToEndAsync(Path.Combine(_temp.Path, "run-a"), uninterrupted), Is.EqualTo(0));
        Server.ResetStatistics();

        var runDirectory = Path.Combine(_temp.Path, "run-b");
        var output = Path.Combine(_temp.Path, "resumed.jsonl");
        using (var child = Start(runDirectory, output))
        {
            // Kill it once a few hundred answers are committed, well before the end.
            var store = Path.Combine(runDirectory, "distil-run.db");
            var clock = Stopwatch.StartNew();
            while (CommittedCount(store, "judge") < 300)
            {
                if (child.HasExited) Assert.Fail("The child ended before it could be killed: " + child.Error);
                Assert.That(clock.Elapsed, Is.LessThan(TimeSpan.FromSeconds(60)), "the child committed too little");
                await Task.Delay(50);
            }
            await child.KillAsync(); // SIGKILL: no cleanup, no flush
        }
        var answered = RunStore.StoredKeys(Path.Combine(runDirectory, "distil-run.db"), "answer").Select(int.Parse).ToHashSet();
        var judged = RunStore.StoredKeys(Path.Combine(runDirectory, "distil-run.db"), "judge").Select(int.Parse).ToHashSet();
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

    [TestCase(8)]
    [TestCase(64)]
    public async Task A_killed_distil_run_asks_again_at_most_the_calls_that_were_in_flight(int concurrency)
    {
        const int rows = 1500;
        // Latencies with a long tail, so answers finish far out of order: a row answered while an
        // older one is still waiting must be kept all the same.
        Server.Reply = FakeReplies.Answering(r => "answer to " + QuestionNumber.Match(r.LastMessage).Value)
            .WithLognormalLatency(TimeSpan.FromMilliseconds(15), 0.9, seed: concurrency);
        var input = Path.Combine(_temp.Path, "questions.jsonl");
        File.WriteAllLines(input, Enumerable.Range(0, rows).Select(i => new JsonObject { ["id"] = i, ["instruction"] = $"Question {i}: why?" }.ToJsonString()));
        var runDirectory = Path.Combine(_temp.Path, "run");
        var output = Path.Combine(_temp.Path, "answers.jsonl");
        string[] arguments = ["run", "--task", "text_generation", "--input", input, "--output", output, "--run-dir", runDirectory,
            "--model", $"endpoint:{Server.BaseUrl}#fake-model", "--concurrency", concurrency.ToString()];

        using (var child = ChildProgram.Distil.Start(arguments))
        {
            var clock = Stopwatch.StartNew();
            while (Server.RequestCount < 550)
            {
                if (child.HasExited) Assert.Fail($"distil run ended before it could be killed ({child.Process.ExitCode}): {child.Error}");
                Assert.That(clock.Elapsed, Is.LessThan(TimeSpan.FromSeconds(90)), "distil run asked too little");
                await Task.Delay(10);
            }
            await child.KillAsync();
        }
        var askedBefore = Server.Requests.Select(Row).ToHashSet();
        Assert.That(askedBefore.Count, Is.InRange(550, rows - 1), "killed mid-way");
        var resumedFrom = Server.RequestCount;

        var (exitCode, error) = await ChildProgram.Distil.RunAsync(arguments);

        Assert.That(exitCode, Is.Zero, error);
        var ids = File.ReadAllLines(output).Select(l => (int)JsonNode.Parse(l)!["id"]!).ToList();
        Assert.That(ids, Is.EqualTo(Enumerable.Range(0, rows)), "every input row exactly once, in order");
        var askedAgain = Server.Requests.Where(r => r.Index >= resumedFrom).Select(Row).Where(askedBefore.Contains).ToList();
        TestContext.Out.WriteLine($"asked before the kill: {askedBefore.Count}; asked again: {askedAgain.Count}");
        Assert.That(askedAgain, Has.Count.LessThanOrEqualTo(concurrency),
            "only the prompts whose answers were still in flight at the kill are paid for twice");
        Assert.That(Server.RequestCount - resumedFrom, Is.EqualTo(rows - askedBefore.Count + askedAgain.Count), "each remaining prompt asked once");
    }

    [Test]
    public async Task A_run_killed_between_attempts_does_not_pay_again_for_the_first_answers()
    {
        // Every first answer is unreadable; the re-asks hang until the run is killed.
        const string Problem = "could not be read";
        Server.Reply = r => r.LastMessage.Contains(Problem, StringComparison.Ordinal)
            ? new FakeReply.Answer("late").After(TimeSpan.FromMinutes(5))
            : new FakeReply.Answer("no idea");
        var input = Path.Combine(_temp.Path, "scoring.jsonl");
        File.WriteAllLines(input, Enumerable.Range(0, 12).Select(i => new JsonObject { ["id"] = i, ["instruction"] = $"Question {i}: why?", ["responses"] = new JsonArray("a", "b") }.ToJsonString()));
        var runDirectory = Path.Combine(_temp.Path, "reask-run");
        var output = Path.Combine(_temp.Path, "scored.jsonl");
        string[] arguments = ["run", "--task", "quality_scorer", "--input", input, "--output", output, "--run-dir", runDirectory,
            "--model", $"endpoint:{Server.BaseUrl}#fake-model", "--concurrency", "4", "--reasks", "1", "--structured"];

        using (var child = ChildProgram.Distil.Start(arguments))
        {
            var clock = Stopwatch.StartNew();
            while (Server.Requests.Count(r => r.LastMessage.Contains(Problem, StringComparison.Ordinal)) < 4)
            {
                if (child.HasExited) Assert.Fail($"distil run ended before it could be killed ({child.Process.ExitCode}): {child.Error}");
                Assert.That(clock.Elapsed, Is.LessThan(TimeSpan.FromSeconds(90)), "distil run sent no re-asks");
                await Task.Delay(10);
            }
            await child.KillAsync(); // SIGKILL, with four re-asks in flight
        }
        // Rows whose re-ask was sent had their first answer back, and paid for, before the kill.
        static int RowOf(FakeRequest request) => int.Parse(QuestionNumber.Match(request.Prompt).Groups[1].Value);
        var firstAnswered = Server.Requests.Where(r => r.LastMessage.Contains(Problem, StringComparison.Ordinal)).Select(RowOf).ToHashSet();
        var resumedFrom = Server.RequestCount;
        Server.Reply = FakeReplies.Answering(r => r.LastMessage.Contains(Problem, StringComparison.Ordinal) ? """{"scores": [4, 2]}""" : "no idea");

        var (exitCode, error) = await ChildProgram.Distil.RunAsync(arguments);

        Assert.That(exitCode, Is.Zero, error);
        var firstAsksAgain = Server.Requests.Where(r => r.Index >= resumedFrom && !r.LastMessage.Contains(Problem, StringComparison.Ordinal)).Select(RowOf).ToList();
        Assert.That(firstAnswered, Has.Count.EqualTo(4));
        Assert.That(firstAsksAgain.Where(firstAnswered.Contains), Is.Empty, "the first answers came from the run directory, not the service");
        Assert.That(File.ReadAllLines(output).Select(l => JsonNode.Parse(l)!["scores"]!.ToJsonString()), Has.All.EqualTo("[4,2]"));
    }

    [Test]
    public async Task A_batch_run_killed_before_and_after_its_re_ask_batch_resumes_without_sending_any_batch_again()
    {
        // Every first answer is unreadable, every re-ask answered; the re-ask batch's upload is
        // refused until the first process is killed, so that it dies between the two batches.
        const string Problem = "could not be read";
        Server.Reply = FakeReplies.Answering(r => r.LastMessage.Contains(Problem, StringComparison.Ordinal) ? """{"scores": [4, 2]}""" : "no idea");
        var refusedUploads = 0;
        Server.Batches.Faults = call => call == FakeBatchCall.Upload && Server.Batches.FilesUploaded >= 1 && Interlocked.Increment(ref refusedUploads) > 0 ? 503 : null;
        var input = Path.Combine(_temp.Path, "scoring.jsonl");
        File.WriteAllLines(input, Enumerable.Range(0, 12).Select(i => new JsonObject { ["id"] = i, ["instruction"] = $"Question {i}: why?", ["responses"] = new JsonArray("a", "b") }.ToJsonString()));
        var runDirectory = Path.Combine(_temp.Path, "batch-run");
        var output = Path.Combine(_temp.Path, "scored.jsonl");
        string[] arguments = ["run", "--task", "quality_scorer", "--input", input, "--output", output, "--run-dir", runDirectory,
            "--model", $"endpoint:{Server.BaseUrl}#fake-model", "--reasks", "1", "--structured", "--batch", "--wait"];

        using (var child = ChildProgram.Distil.Start(arguments))
        {
            await WaitUntil(child, () => Volatile.Read(ref refusedUploads) > 0, "the re-ask batch was never uploaded");
            await child.KillAsync(); // SIGKILL: the first batch collected, the re-ask batch not created
        }
        Assert.That((Server.Batches.Created.Count, Server.Batches.FilesUploaded), Is.EqualTo((1, 1)), "killed between the two batches");

        // The second process sends the re-ask batch and is killed while it is pending.
        Server.Batches.Faults = null;
        Server.Batches.Outcome = batch => batch.Id == "batch_2" ? FakeBatchOutcome.InProgress : FakeBatchOutcome.Completed;
        string secondLog;
        using (var child = ChildProgram.Distil.Start(arguments))
        {
            await WaitUntil(child, () => Server.Batches.Created.Count == 2 && Server.Batches.Created[1].Checks > 0, "the re-ask batch was not sent");
            await child.KillAsync(); // SIGKILL: the re-ask batch saved in the run directory, then polled
            secondLog = child.Output + child.Error;
        }
        Assert.That((Server.Batches.Created.Count, Server.Batches.FilesUploaded), Is.EqualTo((2, 2)), "the first batch was not sent again");
        Assert.That(Server.Batches.Created[1].CustomIds, Is.EqualTo(Enumerable.Range(0, 12).Select(i => $"{i}:0:reask1")));
        Assert.That(secondLog, Does.Contain("Step 'quality_scorer': 12 rows have answers that do not fit; they are asked again in an offline batch (re-ask 1 of 1, 12 requests)."));
        Assert.That(secondLog, Does.Contain("Step 'quality_scorer': submitted re-ask batch batch_2 (re-ask 1) with 12 requests for 12 rows"));

        Server.Batches.Outcome = _ => FakeBatchOutcome.Completed;
        var (exitCode, error) = await ChildProgram.Distil.RunAsync(arguments);

        Assert.That(exitCode, Is.Zero, error);
        Assert.That((Server.Batches.Created.Count, Server.Batches.FilesUploaded), Is.EqualTo((2, 2)), "the pending re-ask batch was polled, not sent again");
        Assert.That(Server.Batches.Created[1].Checks, Is.GreaterThan(1));
        Assert.That(Server.RequestCount, Is.Zero, "no online call");
        Assert.That(File.ReadAllLines(output).Select(l => JsonNode.Parse(l)!["scores"]!.ToJsonString()), Is.EqualTo(Enumerable.Repeat("[4,2]", 12)));
    }

    private static async Task WaitUntil(ChildProgram.Child child, Func<bool> condition, string failure)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            if (child.HasExited) Assert.Fail($"distil run ended before it could be killed ({child.Process.ExitCode}): {child.Output}{child.Error}");
            Assert.That(clock.Elapsed, Is.LessThan(TimeSpan.FromSeconds(90)), failure);
            await Task.Delay(10);
        }
    }

    [Test]
    public async Task A_second_run_on_a_run_directory_in_use_exits_2_at_once_naming_it_and_asks_nothing()
    {
        // The first run's calls hang until it is killed, so the directory stays in use.
        Server.Reply = FakeReplies.Answering(_ => "late").WithLatency(TimeSpan.FromMinutes(5));
        var input = Path.Combine(_temp.Path, "questions.jsonl");
        File.WriteAllLines(input, Enumerable.Range(0, 20).Select(i => new JsonObject { ["id"] = i, ["instruction"] = $"Question {i}: why?" }.ToJsonString()));
        var runDirectory = Path.Combine(_temp.Path, "shared-run");
        string[] arguments = ["run", "--task", "text_generation", "--input", input, "--output", Path.Combine(_temp.Path, "out.jsonl"), "--run-dir", runDirectory,
            "--model", $"endpoint:{Server.BaseUrl}#fake-model", "--concurrency", "2"];

        using var first = ChildProgram.Distil.Start(arguments);
        var clock = Stopwatch.StartNew();
        while (Server.RequestCount < 2)
        {
            if (first.HasExited) Assert.Fail("The first run ended early: " + first.Error);
            Assert.That(clock.Elapsed, Is.LessThan(TimeSpan.FromSeconds(60)));
            await Task.Delay(10);
        }
        var before = Server.RequestCount;

        using var second = ChildProgram.Distil.Start(arguments);
        var started = Stopwatch.StartNew();
        await second.Process.WaitForExitAsync();
        var took = started.Elapsed;
        TestContext.Out.WriteLine($"the second run was refused after {took.TotalMilliseconds:0} ms");

        Assert.That(second.Process.ExitCode, Is.EqualTo(2));
        var lines = second.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.That(lines, Has.Length.EqualTo(1), second.Error);
        Assert.That(lines[0], Does.Contain($"The run directory '{Path.GetFullPath(runDirectory)}' is in use by process {first.Process.Id}"));
        Assert.That(Server.RequestCount, Is.EqualTo(before), "the second run made no call");
        // The process's own start (the .NET runtime, JIT) is most of this; the lock itself answers at once.
        Assert.That(took, Is.LessThan(TimeSpan.FromSeconds(3)), "refused at once, not after waiting");

        // A killed run leaves no stale lock: the same command resumes at once.
        await first.KillAsync();
        Server.Reply = FakeReplies.Answering(r => "answer to " + QuestionNumber.Match(r.LastMessage).Value);
        var (exitCode, error) = await ChildProgram.Distil.RunAsync(arguments);
        Assert.That(exitCode, Is.Zero, error);
    }

    private static int Row(FakeRequest request) => int.Parse(QuestionNumber.Match(request.LastMessage).Groups[1].Value);

    private async Task<int> RunToEndAsync(string runDirectory, string output)
    {
        var (exitCode, error) = await ChildProgram.PipelineSample.RunAsync(Arguments(runDirectory, output));
        if (exitCode != 0) Assert.Fail($"The child exited with {exitCode}: {error}");
        return exitCode;
    }

    private ChildProgram.Child Start(string runDirectory, string output) => ChildProgram.PipelineSample.Start(Arguments(runDirectory, output));

    private string[] Arguments(string runDirectory, string output) =>
        ["--model", $"endpoint:{Server.BaseUrl}#fake-model", "--rows", Rows.ToString(), "--concurrency", "8", "--run-dir", runDirectory, "--out", output];

    // The child creates the file, then its tables: until both exist, nothing is committed.
    private static long CommittedCount(string store, string step)
    {
        try
        {
            return File.Exists(store) ? RunStore.StoredKeys(store, step).Count : 0;
        }
        catch (Microsoft.Data.Sqlite.SqliteException)
        {
            return 0;
        }
    }
}
