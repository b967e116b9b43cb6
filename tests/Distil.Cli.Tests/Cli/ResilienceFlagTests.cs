using System.Text.Json.Nodes;
using Distil.Testing;
using Distil.Tests.Providers;
using Distil.Tests.Support;
using NUnit.Framework;

namespace Distil.Tests.Cli;

/// <summary><c>distil run --timeout</c> and <c>--max-retries</c> reach the client's resilience, against the fake server.</summary>
public class ResilienceFlagTests : FakeServerTests
{
    private TempFolder _temp = null!;

    [SetUp]
    public void CreateWorkFolder() => _temp = new TempFolder("distil-flags-");

    [TearDown]
    public void DeleteWorkFolder() => _temp.Dispose();

    private string[] Run(params string[] extra)
    {
        var input = Path.Combine(_temp.Path, "questions.jsonl");
        File.WriteAllLines(input, [new JsonObject { ["instruction"] = "Question?" }.ToJsonString()]);
        return ["run", "--task", "text_generation", "--input", input, "--output", Path.Combine(_temp.Path, "out.jsonl"),
            "--run-dir", Path.Combine(_temp.Path, "run"), "--model", $"endpoint:{Server.BaseUrl}#fake-model", .. extra];
    }

    [Test]
    public async Task A_hung_attempt_is_abandoned_after_timeout_seconds_and_retried()
    {
        // The first attempt hangs for a minute; the retry answers at once.
        Server.Reply = r => r.Index == 0 ? new FakeReply.Answer("late").After(TimeSpan.FromMinutes(1)) : new FakeReply.Answer("on time");

        var (exitCode, error) = await ChildProgram.Distil.RunAsync(Run("--timeout", "0.5"));

        Assert.That(exitCode, Is.Zero, error);
        Assert.That(Server.RequestCount, Is.EqualTo(2));
        Assert.That((string?)JsonNode.Parse(File.ReadAllLines(Path.Combine(_temp.Path, "out.jsonl")).Single())!["generation"], Is.EqualTo("on time"));
    }

    [Test]
    public async Task Max_retries_zero_sends_each_call_once()
    {
        Server.Reply = _ => new FakeReply.ServerError(503);

        var (exitCode, error) = await ChildProgram.Distil.RunAsync(Run("--max-retries", "0"));

        Assert.That(Server.RequestCount, Is.EqualTo(1), "no retry: " + error);
        Assert.That(exitCode, Is.EqualTo(1), "finished, with a failed call");
        Assert.That(JsonNode.Parse(File.ReadAllLines(Path.Combine(_temp.Path, "out.jsonl")).Single())!["generation"], Is.Null);
    }

    private async Task<IReadOnlyList<TimeSpan>> ArrivalsOfARun(int rows, params string[] extra)
    {
        Server.Reply = FakeReplies.Answering(_ => "ok");
        var arguments = Run(["--concurrency", rows.ToString(), .. extra]);
        // Many rows, all allowed in flight at once: only the rate limit can space them.
        File.WriteAllLines(Path.Combine(_temp.Path, "questions.jsonl"), Enumerable.Range(0, rows).Select(i => new JsonObject { ["instruction"] = $"Question {i}?" }.ToJsonString()));

        var (exitCode, error) = await ChildProgram.Distil.RunAsync(arguments);

        Assert.That(exitCode, Is.Zero, error);
        Assert.That(Server.RequestCount, Is.EqualTo(rows));
        return Server.Requests.Select(r => r.ReceivedAt).Order().ToList();
    }

    [Test]
    public async Task Rpm_spaces_the_requests_of_a_run_one_per_share_of_a_minute()
    {
        // 120 a minute is one every 500 ms: eight requests span 3.5 s. The limiter's timer may fire
        // late and then catch up on a loaded machine, so a tick or two may bunch; without the limit
        // all eight, allowed in flight at once, arrive together.
        var arrivals = await ArrivalsOfARun(8, "--rpm", "120");

        var gaps = arrivals.Zip(arrivals.Skip(1), (a, b) => b - a).ToList();
        Assert.That(arrivals[^1] - arrivals[0], Is.GreaterThanOrEqualTo(TimeSpan.FromMilliseconds(2000)), string.Join(", ", gaps));
        Assert.That(gaps.Count(g => g >= TimeSpan.FromMilliseconds(300)), Is.GreaterThanOrEqualTo(4), string.Join(", ", gaps));
    }

    [Test]
    public async Task Tpm_holds_requests_back_once_the_minute_s_token_budget_is_spent()
    {
        // 6,000 a minute: a bucket of 1,000 tokens refilled by 100 a second. Each call is charged
        // about 100 (its max_new_tokens and a short prompt), so about ten go at once and the other
        // four one a refill each: at least three seconds apart, less a tick or two a late timer bunches.
        var arrivals = await ArrivalsOfARun(14, "--tpm", "6000", "--param", "max_new_tokens=100");

        Assert.That(arrivals[^1] - arrivals[0], Is.GreaterThanOrEqualTo(TimeSpan.FromMilliseconds(1500)), string.Join(", ", arrivals));
    }

    [TestCase("--rpm", "0", "--rpm must be 1 or more")]
    [TestCase("--timeout", "-1", "--timeout must be a number of seconds above 0")]
    public async Task A_bad_value_is_refused_with_exit_code_2(string option, string value, string message)
    {
        var (exitCode, error) = await ChildProgram.Distil.RunAsync(Run(option, value));

        Assert.That(exitCode, Is.EqualTo(2));
        Assert.That(error, Does.Contain(message));
        Assert.That(Server.RequestCount, Is.Zero);
    }

    [Test]
    public async Task Log_file_keeps_the_retries_and_the_progress_and_never_the_key()
    {
        const string key = "sk-test-never-logged-5d1e";
        Server.Reply = r => r.Index == 0 ? new FakeReply.ServerError(503) : new FakeReply.Answer("fine");
        var log = Path.Combine(_temp.Path, "logs", "distil.log");

        var (exitCode, error) = await ChildProgram.Distil.RunAsync(
            new Dictionary<string, string> { ["DISTIL_ENDPOINT_API_KEY"] = key }, Run("--log-file", log));

        Assert.That(exitCode, Is.Zero, error);
        var text = File.ReadAllText(log);
        Assert.That(text, Does.Contain("[WRN]").And.Contain("503"), "the retry");
        Assert.That(text, Does.Contain("[INF]").And.Contain("finished in"), "information lines, such as the run's end");
        Assert.That(text + error, Does.Not.Contain(key));
    }

    [Test]
    public async Task Log_level_error_leaves_warnings_out_of_the_file_and_the_console()
    {
        Server.Reply = r => r.Index == 0 ? new FakeReply.ServerError(503) : new FakeReply.Answer("fine");
        var log = Path.Combine(_temp.Path, "distil.log");

        var (exitCode, error) = await ChildProgram.Distil.RunAsync(Run("--log-file", log, "--log-level", "Error"));

        Assert.That(exitCode, Is.Zero, error);
        Assert.That(Server.RequestCount, Is.EqualTo(2), "the call was retried");
        Assert.That(File.ReadAllText(log), Does.Not.Contain("[WRN]").And.Not.Contain("[INF]"));
        Assert.That(error, Does.Not.Contain("503"));
    }

    [Test]
    public async Task An_unknown_log_level_is_refused_with_the_names()
    {
        var (exitCode, error) = await ChildProgram.Distil.RunAsync(Run("--log-level", "loud"));

        Assert.That(exitCode, Is.EqualTo(2));
        Assert.That(error, Does.Contain("--log-level must be one of trace, debug, information, warning, error, critical, none, not 'loud'"));
    }
}
