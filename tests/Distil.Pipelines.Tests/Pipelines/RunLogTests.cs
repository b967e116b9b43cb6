using System.Diagnostics;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Distil.Pipelines;
using Distil.Tasks;
using Distil.Testing;
using Distil.Tests.Providers;
using Distil.Tests.Support;
using NUnit.Framework;

namespace Distil.Tests.Pipelines;

/// <summary>
/// <c>run-log.jsonl</c> is appended as rows commit: the report of a run that is still running, or
/// was killed, counts exactly the calls whose rows it committed, and says how many rows may have
/// been in flight (their calls are not counted; the next run asks them again).
/// </summary>
[NonParallelizable]
public class RunLogTests : FakeServerTests
{
    private const int Rows = 200;
    private const int Concurrency = 4;
    private static readonly Regex QuestionNumber = new(@"Question (\d+):", RegexOptions.Compiled);

    private TempFolder _temp = null!;

    [SetUp]
    public void CreateWorkFolder() => _temp = new TempFolder("distil-runlog-");

    [TearDown]
    public void DeleteWorkFolder() => _temp.Dispose();

    [Test]
    public async Task The_report_of_a_running_then_killed_distil_run_counts_exactly_the_calls_the_server_answered()
    {
        Server.Reply = FakeReplies.Answering(r => "answer to " + QuestionNumber.Match(r.LastMessage).Value).WithLatency(TimeSpan.FromMilliseconds(40));
        var (arguments, runDirectory) = RunArguments();
        var store = Path.Combine(runDirectory, "distil-run.db");
        int answered;

        using (var child = ChildProgram.Distil.Start(arguments))
        {
            await WaitUntil(child, () => Committed(store) >= 20, "distil run committed too little");
            // From now on the server answers nothing: once the answers already on their way are
            // committed, the run is still running with every slot waiting, and nothing is in between.
            var waiting = 0;
            Server.Reply = request =>
            {
                Interlocked.Increment(ref waiting);
                return new FakeReply.Answer("late").After(TimeSpan.FromMinutes(5));
            };
            await WaitUntil(child, () => Volatile.Read(ref waiting) == Concurrency && Server.InFlight == Concurrency && Committed(store) == Answered(),
                "the answers on their way were not committed");

            answered = Answered();
            var running = await ReportAsync(runDirectory, "running.html");
            Assert.That(Stat(running, "calls"), Is.EqualTo(answered), "a running run: every answered call, as its rows are committed");
            Assert.That(running, Does.Contain("data-testid=\"unfinished\""));
            Assert.That(StatText(running, "uncounted"), Is.EqualTo($"at most {2 * Concurrency}"), "calls in flight, and as many rows waiting for their commit");

            await child.KillAsync(); // SIGKILL, with every slot waiting on the server
            var killed = await ReportAsync(runDirectory, "killed.html");
            Assert.That(Stat(killed, "calls"), Is.EqualTo(answered).And.EqualTo(Committed(store)), "a killed run: the same calls, exactly");
            var (input, output) = StoredTokens(store);
            Assert.That((Stat(killed, "input-tokens"), Stat(killed, "output-tokens")), Is.EqualTo((input, output)), "tokens of the committed rows");
            Assert.That(killed, Does.Contain("latest: unfinished"));
        }
        var sentBeforeResume = Server.RequestCount;

        Server.Reply = FakeReplies.Answering(r => "answer to " + QuestionNumber.Match(r.LastMessage).Value);
        var (exitCode, error) = await ChildProgram.Distil.RunAsync(arguments);
        Assert.That(exitCode, Is.Zero, error);

        var report = await ReportAsync(runDirectory, "resumed.html");
        // The killed run's unanswered calls were never paid: every row was answered exactly once.
        Assert.That(Committed(store), Is.EqualTo(Rows));
        // The resumed run's calls were all answered; the killed run's waiting ones never were.
        var answeredInAll = answered + (Server.RequestCount - sentBeforeResume);
        Assert.That(Stat(report, "calls"), Is.EqualTo(answeredInAll).And.EqualTo(Rows), "calls answered (all runs) equals the calls the server answered");
        var (allInput, allOutput) = StoredTokens(store);
        Assert.That((Stat(report, "input-tokens"), Stat(report, "output-tokens")), Is.EqualTo((allInput, allOutput)));
        Assert.That(report, Does.Contain("data-testid=\"unfinished\""), "the killed run is still one without an end");
        Assert.That(report, Does.Contain("2 runs"));
    }

    [Test]
    public async Task A_distil_run_killed_with_answers_in_flight_is_counted_by_its_committed_rows()
    {
        // Answers arrive all the time, far out of order: the kill finds rows answered but not yet committed.
        Server.Reply = FakeReplies.Answering(r => "answer to " + QuestionNumber.Match(r.LastMessage).Value)
            .WithLognormalLatency(TimeSpan.FromMilliseconds(15), 0.9, seed: 7);
        var (arguments, runDirectory) = RunArguments();
        var store = Path.Combine(runDirectory, "distil-run.db");
        using (var child = ChildProgram.Distil.Start(arguments))
        {
            await WaitUntil(child, () => Committed(store) >= 60, "distil run committed too little");
            await child.KillAsync();
        }
        var committed = Committed(store);
        Assert.That(committed, Is.InRange(60, Rows - 1), "killed mid-way");

        var report = await ReportAsync(runDirectory, "killed.html");

        // Rule: the report counts the calls of committed rows, exactly; the calls sent for the rows in
        // flight (at most one per slot here) and those of rows answered but waiting for their group
        // commit (at most as many again) are left out, and it says at most how many.
        Assert.That(Stat(report, "calls"), Is.EqualTo(committed));
        Assert.That(Server.RequestCount - committed, Is.InRange(0, 2 * Concurrency), "only calls of rows in flight or waiting for their commit at the kill are uncounted");
        Assert.That(StatText(report, "uncounted"), Is.EqualTo($"at most {2 * Concurrency}"));
        var (input, output) = StoredTokens(store);
        Assert.That((Stat(report, "input-tokens"), Stat(report, "output-tokens")), Is.EqualTo((input, output)));
    }

    [Test]
    public async Task The_run_log_starts_without_a_byte_order_mark_and_a_torn_last_line_is_skipped()
    {
        var runDirectory = Path.Combine(_temp.Path, "library-run");
        var llm = new ScriptedChatClient().Otherwise(_ => "an answer");
        Pipeline Build()
        {
            var pipeline = Pipeline.Create("bom");
            pipeline.RunDirectory = runDirectory;
            pipeline.Load(Enumerable.Range(0, 5).Select(i => new JsonObject { ["instruction"] = $"Question {i}: why?" }))
                .Then(new TextGeneration { Llm = llm });
            return pipeline;
        }
        await Build().RunAsync(new PipelineRunOptions { Progress = ProgressMode.None });
        var log = Path.Combine(runDirectory, "run-log.jsonl");

        var first = new byte[3];
        await using (var file = File.OpenRead(log)) await file.ReadExactlyAsync(first);
        Assert.That(first, Is.Not.EqualTo(new byte[] { 0xEF, 0xBB, 0xBF }), "no UTF-8 byte-order mark");
        Assert.That((char)first[0], Is.EqualTo('{'), "the first line starts at the first byte");

        // A kill mid-write leaves half a line and no newline; the next run starts on a line of its own.
        await File.AppendAllTextAsync(log, """{"event":"rows","run":"torn","burst":1,"ste""");
        await Build().RunAsync(new PipelineRunOptions { Progress = ProgressMode.None });

        var lines = await File.ReadAllLinesAsync(log);
        Assert.That(lines.Count(l => l.StartsWith("{\"event\":\"rows\",\"run\":\"torn\"", StringComparison.Ordinal)), Is.EqualTo(1), "the torn line stays alone");
        var events = lines.Where(l => !l.Contains("\"torn\"", StringComparison.Ordinal)).Select(l => JsonNode.Parse(l)!["event"]!.GetValue<string>()).ToList();
        Assert.That(events.Where(e => e != "rows"), Is.EqualTo(new[] { "start", "end", "start", "end" }), "every other line whole");
        Assert.That(events, Does.Contain("rows"), "the first run's rows were logged as they were committed");
        var report = await File.ReadAllTextAsync(await RunReport.WriteAsync(runDirectory));
        Assert.That(report, Does.Contain("2 runs"), "the torn line is skipped, not an error, and makes no run");
        Assert.That(Stat(report, "calls"), Is.EqualTo(5), "the second run replayed every row");
    }

    private (string[] Arguments, string RunDirectory) RunArguments()
    {
        var input = Path.Combine(_temp.Path, "questions.jsonl");
        File.WriteAllLines(input, Enumerable.Range(0, Rows).Select(i => new JsonObject { ["id"] = i, ["instruction"] = $"Question {i}: why?" }.ToJsonString()));
        var runDirectory = Path.Combine(_temp.Path, "run");
        return (["run", "--task", "text_generation", "--input", input, "--output", Path.Combine(_temp.Path, "answers.jsonl"), "--run-dir", runDirectory,
            "--model", $"endpoint:{Server.BaseUrl}#fake-model", "--concurrency", Concurrency.ToString()], runDirectory);
    }

    // Calls the server has answered: those that arrived, less those still waiting on it.
    private int Answered() => Server.RequestCount - Server.InFlight;

    private async Task<string> ReportAsync(string runDirectory, string name)
    {
        var output = Path.Combine(_temp.Path, name);
        var (exitCode, error) = await ChildProgram.Distil.RunAsync("report", runDirectory, "--output", output);
        Assert.That(exitCode, Is.Zero, error);
        return await File.ReadAllTextAsync(output);
    }

    private static string StatText(string html, string key)
    {
        var match = Regex.Match(html, $"data-stat=\"{key}\"[^>]*>([^<]*)<");
        Assert.That(match.Success, $"the report has no '{key}'");
        return match.Groups[1].Value;
    }

    private static long Stat(string html, string key) => long.Parse(StatText(html, key).Replace(",", ""));

    private static int Committed(string store)
    {
        try
        {
            return File.Exists(store) ? RunStore.StoredKeys(store, "text_generation").Count : 0;
        }
        catch (Microsoft.Data.Sqlite.SqliteException)
        {
            return 0; // the tables are not there yet
        }
    }

    // The tokens the committed rows' statistics hold, read from the store itself.
    private static (long Input, long Output) StoredTokens(string store)
    {
        using var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={store};Mode=ReadOnly;Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT outputs FROM rows WHERE step = 'text_generation'";
        using var reader = command.ExecuteReader();
        long input = 0, output = 0;
        while (reader.Read())
        {
            foreach (var pair in JsonNode.Parse(reader.GetString(0))!.AsArray())
            {
                var statistics = pair![1]!["distilabel_metadata"]!["statistics_text_generation"]!;
                input += (long)statistics["input_tokens"]!;
                output += (long)statistics["output_tokens"]!;
            }
        }
        return (input, output);
    }

    private static async Task WaitUntil(ChildProgram.Child child, Func<bool> condition, string failure)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            if (child.HasExited) Assert.Fail($"distil run ended before it could be killed ({child.Process.ExitCode}): {child.Output}{child.Error}");
            Assert.That(clock.Elapsed, Is.LessThan(TimeSpan.FromSeconds(90)), failure);
            await Task.Delay(20);
        }
    }
}
