using System.Text.Json.Nodes;
using Distil.Testing;
using Distil.Tests.Providers;
using Distil.Tests.Support;
using NUnit.Framework;

namespace Distil.Tests.Cli;

/// <summary><c>distil run --timeout</c> and <c>--max-retries</c> reach the client's resilience, against the fake server.</summary>
public class ResilienceFlagTests : FakeServerTests
{
    private string _work = null!;

    [SetUp]
    public void CreateWorkFolder() => _work = Directory.CreateTempSubdirectory("distil-flags-").FullName;

    [TearDown]
    public void DeleteWorkFolder() => Directory.Delete(_work, recursive: true);

    private string[] Run(params string[] extra)
    {
        var input = Path.Combine(_work, "questions.jsonl");
        File.WriteAllLines(input, [new JsonObject { ["instruction"] = "Question?" }.ToJsonString()]);
        return ["run", "--task", "text_generation", "--input", input, "--output", Path.Combine(_work, "out.jsonl"),
            "--run-dir", Path.Combine(_work, "run"), "--model", $"endpoint:{Server.BaseUrl}#fake-model", .. extra];
    }

    [Test]
    public async Task A_hung_attempt_is_abandoned_after_timeout_seconds_and_retried()
    {
        // The first attempt hangs for a minute; the retry answers at once.
        Server.Reply = r => r.Index == 0 ? new FakeReply.Answer("late").After(TimeSpan.FromMinutes(1)) : new FakeReply.Answer("on time");

        var (exitCode, error) = await ChildProgram.Distil.RunAsync(Run("--timeout", "0.5"));

        Assert.That(exitCode, Is.Zero, error);
        Assert.That(Server.RequestCount, Is.EqualTo(2));
        Assert.That((string?)JsonNode.Parse(File.ReadAllLines(Path.Combine(_work, "out.jsonl")).Single())!["generation"], Is.EqualTo("on time"));
    }

    [Test]
    public async Task Max_retries_zero_sends_each_call_once()
    {
        Server.Reply = _ => new FakeReply.ServerError(503);

        var (exitCode, error) = await ChildProgram.Distil.RunAsync(Run("--max-retries", "0"));

        Assert.That(Server.RequestCount, Is.EqualTo(1), "no retry: " + error);
        Assert.That(exitCode, Is.EqualTo(1), "finished, with a failed call");
        Assert.That(JsonNode.Parse(File.ReadAllLines(Path.Combine(_work, "out.jsonl")).Single())!["generation"], Is.Null);
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
}
