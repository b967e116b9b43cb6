using Distil.Testing;
using Distil.Tests.Providers;
using Distil.Tests.Support;
using NUnit.Framework;

namespace Distil.Tests.Cli;

/// <summary>
/// <c>distil run</c> says why a step recomputes, on the console by default: a pipeline file is run
/// against the stand-in server, then run again after one change.
/// </summary>
public class RecomputeReasonCliTests : FakeServerTests
{
    private const int Rows = 3;

    private TempFolder _temp = null!;

    [SetUp]
    public void CreateWorkFolder()
    {
        _temp = new TempFolder("distil-recompute-cli-");
        File.WriteAllLines(Path.Combine(_temp.Path, "questions.jsonl"), Enumerable.Range(0, Rows).Select(i => $$"""{"id": {{i}}, "instruction": "Question {{i}}?"}"""));
        Server.Reply = FakeReplies.Answering(r => "Answer to " + r.LastMessage);
    }

    [TearDown]
    public void DeleteWorkFolder() => _temp.Dispose();

    private string Pipeline(string keep = "\"instruction\"", string temperature = "0.7")
    {
        var path = Path.Combine(_temp.Path, "pipeline.json");
        File.WriteAllText(path, $$$"""
            {
              "name": "answers",
              "steps": [
                { "name": "questions", "load": "questions.jsonl" },
                { "name": "keep", "keep_columns": [{{{keep}}}], "after": "questions" },
                { "name": "answer", "task": "text_generation", "after": "keep", "params": { "temperature": {{{temperature}}} } },
                { "name": "judge", "task": "text_generation", "after": "answer", "params": { "template": "Judge: {{ generation }}" } },
                { "name": "out", "write": "answers.jsonl", "after": "judge" }
              ]
            }
            """);
        return path;
    }

    // Everything the tool printed: log lines go to the console's output, the summary to either stream.
    private async Task<string> RunAsync(string pipeline)
    {
        using var child = ChildProgram.Distil.Start("run", "--pipeline", pipeline, "--model", $"endpoint:{Server.BaseUrl}#fake-model", "--run-dir", Path.Combine(_temp.Path, "run"));
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        await child.Process.WaitForExitAsync(timeout.Token);
        var printed = child.Output + child.Error;
        Assert.That(child.Process.ExitCode, Is.Zero, printed);
        return printed;
    }

    [Test]
    public async Task A_changed_task_param_is_named_with_its_old_and_new_value_and_the_step_after_names_it_as_upstream()
    {
        var first = await RunAsync(Pipeline(temperature: "0.7"));
        var second = await RunAsync(Pipeline(temperature: "0.2"));

        Assert.That(first, Does.Not.Contain("recomputes"), "a first run has nothing to recompute");
        Assert.That(second, Does.Contain($"Step 'answer' recomputes: setting temperature changed (0.7 -> 0.2); {Rows} stored rows are dropped."));
        Assert.That(second, Does.Contain("Step 'judge' recomputes: upstream step 'answer' changed (setting temperature changed (0.7 -> 0.2))"));
        Assert.That(second, Does.Not.Contain("Step 'keep' recomputes"), "the steps before the change keep their rows");
    }

    [Test]
    public async Task A_changed_upstream_step_is_named_by_every_step_after_it()
    {
        await RunAsync(Pipeline(keep: "\"instruction\""));
        var second = await RunAsync(Pipeline(keep: "\"instruction\", \"id\""));
        var third = await RunAsync(Pipeline(keep: "\"instruction\", \"id\""));

        Assert.That(second, Does.Contain($"Step 'keep' recomputes: its settings changed (instruction -> instruction,id); {Rows} stored rows are dropped."));
        Assert.That(second, Does.Contain("Step 'answer' recomputes: upstream step 'keep' changed (its settings changed (instruction -> instruction,id))"));
        Assert.That(second, Does.Contain("Step 'judge' recomputes: upstream step 'keep' changed"));
        Assert.That(third, Does.Not.Contain("recomputes"), "an unchanged rerun replays");
    }
}
