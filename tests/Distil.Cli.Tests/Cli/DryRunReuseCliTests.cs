using System.Security.Cryptography;
using Distil.Testing;
using Distil.Tests.Providers;
using Distil.Tests.Support;
using NUnit.Framework;

namespace Distil.Tests.Cli;

/// <summary>
/// <c>distil run --dry-run</c> on the run directory of a real run, through the real process: after
/// half the input rows are edited it says the task recomputes because its source changed, how many
/// calls answers.db already answered and how many are new, and what the new ones cost; the run
/// after it makes exactly those calls, and the dry run left the directory as it was.
/// </summary>
public class DryRunReuseCliTests : FakeServerTests
{
    private const int Rows = 6;

    private TempFolder _temp = null!;

    [SetUp]
    public void CreateWorkFolder()
    {
        _temp = new TempFolder("distil-dry-reuse-cli-");
        Server.Reply = FakeReplies.Answering(r => "Answer to " + r.LastMessage);
        File.WriteAllText(Path.Combine(_temp.Path, "pipeline.json"), """
            {
              "name": "answers",
              "steps": [
                { "name": "questions", "load": "questions.jsonl" },
                { "name": "answer", "task": "text_generation", "after": "questions", "params": { "max_new_tokens": 10 } },
                { "name": "out", "write": "answers.jsonl", "after": "answer" }
              ]
            }
            """);
    }

    [TearDown]
    public void DeleteWorkFolder() => _temp.Dispose();

    private string RunDirectory => Path.Combine(_temp.Path, "run");

    // Rows whose index is in `edited` ask another question, of the same length.
    private void WriteQuestions(params int[] edited) =>
        File.WriteAllLines(Path.Combine(_temp.Path, "questions.jsonl"),
            Enumerable.Range(0, Rows).Select(i => $$"""{"instruction": "{{(edited.Contains(i) ? "Querying" : "Question")}} {{i}}?"}"""));

    private async Task<string> DistilAsync(params string[] extra)
    {
        using var child = ChildProgram.Distil.Start(["run", "--pipeline", Path.Combine(_temp.Path, "pipeline.json"), "--model", $"endpoint:{Server.BaseUrl}#fake-model",
            "--run-dir", RunDirectory, .. extra]);
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        await child.Process.WaitForExitAsync(timeout.Token);
        var printed = child.Output + child.Error;
        Assert.That(child.Process.ExitCode, Is.Zero, printed);
        return printed;
    }

    [Test]
    public async Task After_half_the_inputs_changed_the_dry_run_says_half_the_calls_are_reused_and_the_run_makes_the_other_half()
    {
        WriteQuestions();
        await DistilAsync();
        Assert.That(Server.RequestCount, Is.EqualTo(Rows));
        WriteQuestions(edited: [0, 2, 4]);
        var before = Snapshot();

        var dry = await DistilAsync("--dry-run", "--price", "fake-model=1000000/0");

        Assert.That(Snapshot(), Is.EqualTo(before), "the dry run created or changed nothing in the run directory");
        Assert.That(Server.RequestCount, Is.EqualTo(Rows), "the dry run called nothing");
        Assert.That(dry, Does.Contain($"Step 'answer' recomputes: upstream step 'questions' changed (its source changed (the jsonl file {Path.Combine(_temp.Path, "questions.jsonl")} was modified))"));
        Assert.That(dry, Does.Contain($"run directory: recomputes (upstream step 'questions' changed (its source changed (the jsonl file {Path.Combine(_temp.Path, "questions.jsonl")} was modified))"));
        Assert.That(dry, Does.Contain($"{Rows / 2} calls reused from answers.db, {Rows / 2} new"));
        Assert.That(dry, Does.Contain("cost of the new calls $"));
        Assert.That(dry, Does.Contain($"total new calls: {Rows / 2} ({Rows / 2} reused from answers.db, 0 stored rows replayed)"));

        var run = await DistilAsync();

        Assert.That(Server.RequestCount, Is.EqualTo(Rows + Rows / 2), "the run makes exactly the new calls the dry run said");
        Assert.That(run, Does.Contain("Step 'answer' recomputes: upstream step 'questions' changed"));
        Assert.That(run, Does.Contain($"answer: {Rows / 2} calls this run, {Rows / 2} answers reused from the run directory"), "the run's summary says the same");
    }

    // Every file of the run directory, with a hash of its bytes.
    private SortedDictionary<string, string> Snapshot() =>
        new(Directory.GetFiles(RunDirectory, "*", SearchOption.AllDirectories)
            .ToDictionary(f => Path.GetRelativePath(RunDirectory, f), f => Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(f)))), StringComparer.Ordinal);
}
