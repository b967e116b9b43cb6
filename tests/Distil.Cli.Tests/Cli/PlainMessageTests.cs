using Distil.Testing;
using Distil.Tests.Providers;
using Distil.Tests.Support;
using NUnit.Framework;

namespace Distil.Tests.Cli;

/// <summary>
/// What the real <c>distil</c> process prints for a bad value, a retry and a dataset folder:
/// no C# parameter names, sentences that end once, retry lines that name the step and the server,
/// and a dataset card that shows each task step's parameters and prompt.
/// </summary>
public class PlainMessageTests : FakeServerTests
{
    private const string UltraFeedbackSystemPrompt =
        "You are a fair and exacting evaluator of AI assistants. You judge each text on its own merits against the instruction and the criteria you are given.";

    private TempFolder _temp = null!;

    [SetUp]
    public void CreateWorkFolder()
    {
        _temp = new TempFolder("distil-plain-");
        File.WriteAllLines(Path.Combine(_temp.Path, "answers.jsonl"),
            ["""{"instruction": "Why is the sky blue?", "generations": ["Rayleigh scattering."]}""", """{"instruction": "What is rain?", "generations": ["Water."]}"""]);
    }

    [TearDown]
    public void DeleteWorkFolder() => _temp.Dispose();

    private string Model => $"endpoint:{Server.BaseUrl}#fake-model";

    private string ServerName => Server.BaseUrl.AbsoluteUri.TrimEnd('/');

    // Line 4 holds the judge step's keys; it writes to the folder "hf" (the Hugging Face layout).
    private string PipelineFile(string judgeKeys)
    {
        var path = Path.Combine(_temp.Path, "pipeline.json");
        File.WriteAllText(path, $$"""
            {
              "name": "judged",
              "steps": [
                { "name": "answers", "load": "answers.jsonl" },
                { "name": "judge", "task": "ultrafeedback", "after": "answers", {{judgeKeys}} },
                { "name": "out", "write": "hf", "after": "judge" }
              ]
            }
            """.ReplaceLineEndings("\n"));
        return path;
    }

    private static async Task<(int ExitCode, string Printed)> RunDistilAsync(IReadOnlyDictionary<string, string> environment, params string[] arguments)
    {
        using var child = ChildProgram.Distil.Start(environment, arguments);
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        await child.Process.WaitForExitAsync(timeout.Token);
        return (child.Process.ExitCode, child.Output + child.Error);
    }

    [Test]
    public async Task A_bad_task_parameter_on_the_command_line_is_said_without_the_csharp_parameter_name()
    {
        var (exitCode, error) = await ChildProgram.Distil.RunAsync("run", "--task", "ultrafeedback", "--param", "aspect=bogus",
            "--input", Path.Combine(_temp.Path, "answers.jsonl"), "--output", Path.Combine(_temp.Path, "out.jsonl"), "--run-dir", Path.Combine(_temp.Path, "run"), "--model", Model);

        Assert.That(exitCode, Is.EqualTo(2));
        Assert.That(error.Trim(), Is.EqualTo(
            "distil run: Runtime parameter 'aspect=bogus': \"bogus\" is not a valid value for 'aspect' of task 'ultrafeedback': " +
            "Unknown aspect 'bogus' for ultrafeedback; use one of: helpfulness, honesty, instruction-following, truthfulness, overall-rating."));
        Assert.That(Server.RequestCount, Is.Zero);
    }

    [Test]
    public async Task A_bad_task_parameter_in_a_pipeline_file_ends_in_one_full_stop_with_no_csharp_parameter_name()
    {
        var file = PipelineFile("\"params\": { \"aspect\": \"bogus\" }");

        var (exitCode, error) = await ChildProgram.Distil.RunAsync("check", file, "--model", Model);

        Assert.That(exitCode, Is.EqualTo(2));
        Assert.That(error.Trim(), Is.EqualTo(
            $"distil check: {file}: step 'judge': Runtime parameter 'aspect=bogus': \"bogus\" is not a valid value for 'aspect' of task 'ultrafeedback': " +
            "Unknown aspect 'bogus' for ultrafeedback; use one of: helpfulness, honesty, instruction-following, truthfulness, overall-rating."));
    }

    [Test]
    public async Task A_misspelt_parameter_in_a_pipeline_file_ends_in_one_full_stop()
    {
        var (exitCode, error) = await ChildProgram.Distil.RunAsync("check", PipelineFile("\"params\": { \"aspekt\": \"honesty\" }"), "--model", Model);

        Assert.That(exitCode, Is.EqualTo(2));
        Assert.That(error, Does.Contain("task 'ultrafeedback' has no parameter 'aspekt'. Did you mean 'aspect'? It has: "));
        Assert.That(error.Trim(), Does.EndWith(", model."));
    }

    [TestCase("\"concurrency\": 0", "\"concurrency\" must be a whole number of 1 or more; it is 0.")]
    [TestCase("\"num_generations\": \"two\"", "\"num_generations\" must be a whole number of 1 or more; it is \"two\".")]
    [TestCase("\"structured\": 1", "\"structured\" must be true or false; it is 1.")]
    public async Task A_bad_step_key_is_named_with_what_it_must_be(string keys, string message)
    {
        var file = PipelineFile(keys);

        var (exitCode, error) = await ChildProgram.Distil.RunAsync("check", file, "--model", Model);

        Assert.That(exitCode, Is.EqualTo(2));
        Assert.That(error.Trim(), Is.EqualTo($"distil check: {file}: step 'judge': {message}"));
    }

    [Test]
    public async Task A_retry_line_names_the_step_and_the_server_but_never_the_key()
    {
        const string Key = "sk-never-print-this-7f3a";
        // The first call fails with a 503; its retry is answered.
        Server.Reply = r => r.Index == 0 ? new FakeReply.ServerError(503) : new FakeReply.Answer("Rating: 4\nRationale: Correct.");

        var (exitCode, printed) = await RunDistilAsync(new Dictionary<string, string> { ["DISTIL_ENDPOINT_API_KEY"] = Key },
            "run", "--pipeline", PipelineFile("\"params\": { \"aspect\": \"honesty\" }"), "--model", Model, "--run-dir", Path.Combine(_temp.Path, "run"));

        Assert.That(exitCode, Is.Zero, printed);
        Assert.That(printed, Does.Contain(
            $"Step 'judge': LLM request to {ServerName} (model fake-model) failed (HTTP 503 ServiceUnavailable); retry 1 of 6 in "));
        Assert.That(printed, Does.Not.Contain(Key));
    }

    [Test]
    public async Task A_retry_over_several_servers_names_the_servers_the_call_was_tried_on()
    {
        // The second server is a closed port: every call fails on both the first time.
        const string Closed = "http://127.0.0.1:9/v1";
        Server.Reply = r => r.Index == 0 ? new FakeReply.ServerError(503) : new FakeReply.Answer("Rating: 4\nRationale: Correct.");
        var file = PipelineFile("\"params\": { \"aspect\": \"honesty\" }, \"concurrency\": 1");

        var (exitCode, printed) = await RunDistilAsync(new Dictionary<string, string>(),
            "run", "--pipeline", file, "--model", $"endpoint:{ServerName},{Closed}#fake-model", "--run-dir", Path.Combine(_temp.Path, "run"));

        Assert.That(exitCode, Is.Zero, printed);
        Assert.That(printed, Does.Contain($"Step 'judge': LLM request to servers {ServerName}, {Closed} failed ("));
    }

    [Test]
    public async Task The_dataset_card_shows_each_task_steps_parameters_and_prompt()
    {
        Server.Reply = FakeReplies.Answering(_ => "Rating: 4\nRationale: Correct.");

        var (exitCode, printed) = await RunDistilAsync(new Dictionary<string, string>(),
            "run", "--pipeline", PipelineFile("\"params\": { \"aspect\": \"honesty\", \"temperature\": 0.3 }"), "--model", Model,
            "--run-dir", Path.Combine(_temp.Path, "run"), "--param", "judge.max_new_tokens=512");

        Assert.That(exitCode, Is.Zero, printed);
        var card = File.ReadAllText(Path.Combine(_temp.Path, "hf", "README.md"));
        var step = card[card.IndexOf("### Step `judge`", StringComparison.Ordinal)..card.IndexOf("## Columns", StringComparison.Ordinal)];
        Assert.That(step, Does.Contain("Task `UltraFeedback`, model `fake-model (openai)`."));
        Assert.That(step, Does.Contain("| `aspect` | `\"honesty\"` |"));
        Assert.That(step, Does.Contain("| `temperature` | `0.3` |"));
        Assert.That(step, Does.Contain("| `max_output_tokens` | `512` |"), "a --param is what the run used");
        Assert.That(step, Does.Contain($"**system**\n\n```text\n{UltraFeedbackSystemPrompt}\n```"));
        Assert.That(step, Does.Contain("**user**\n\n```text\n# Honesty"));
        Assert.That(step, Does.Contain("<PLACEHOLDER_INSTRUCTION>"), "input columns are placeholders");
        Assert.That(step, Does.Not.Contain("max_concurrency"), "only what shapes the answers");
        Assert.That(card, Does.Not.Contain(Server.BaseUrl.Port.ToString(System.Globalization.CultureInfo.InvariantCulture) + "/v1"), "no endpoint");
    }
}
