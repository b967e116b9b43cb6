using System.Text.Json.Nodes;
using Distil.Testing;
using Distil.Tests.Providers;
using Distil.Tests.Support;
using NUnit.Framework;

namespace Distil.Tests.Cli;

/// <summary>
/// Through the real <c>distil</c> process: a task step computed again with the same prompts is
/// answered from the run directory's <c>answers.db</c>, and the summary says how many answers were
/// reused and how many calls were new.
/// </summary>
public class AnswerReuseCliTests : FakeServerTests
{
    private const int Rows = 6;

    private TempFolder _temp = null!;

    [SetUp]
    public void CreateWorkFolder() => _temp = new TempFolder("distil-reuse-cli-");

    [TearDown]
    public void DeleteWorkFolder() => _temp.Dispose();

    private string Output => Path.Combine(_temp.Path, "answers.jsonl");

    private string[] Run(params string[] extra)
    {
        var input = Path.Combine(_temp.Path, "questions.jsonl");
        File.WriteAllLines(input, Enumerable.Range(0, Rows).Select(i => new JsonObject { ["instruction"] = $"Question {i}?" }.ToJsonString()));
        return ["run", "--task", "text_generation", "--input", input, "--output", Output, "--run-dir", Path.Combine(_temp.Path, "run"),
            "--model", $"endpoint:{Server.BaseUrl}#fake-model", .. extra];
    }

    private List<string?> Generations() => File.ReadAllLines(Output).Select(l => (string?)JsonNode.Parse(l)!["generation"]).ToList();

    [Test]
    public async Task A_rerun_with_a_changed_setting_but_the_same_prompts_pays_for_nothing_and_says_so()
    {
        Server.Reply = FakeReplies.Answering(r => "re " + r.LastMessage);
        var (exitCode, error) = await ChildProgram.Distil.RunAsync(Run());
        Assert.That(exitCode, Is.Zero, error);
        var before = Generations();
        var rerunFrom = Server.RequestCount;

        // Re-asks are part of the step's signature: the step is computed again, with the same requests.
        using var child = ChildProgram.Distil.Start(Run("--reasks", "1"));
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        await child.Process.WaitForExitAsync(timeout.Token);

        Assert.That(child.Process.ExitCode, Is.Zero, child.Error);
        Assert.That(Server.RequestCount, Is.EqualTo(rerunFrom), "no call: every request was answered before");
        Assert.That(Generations(), Is.EqualTo(before), "the same answers (re-asks add their own metadata)");
        Assert.That(child.Output + child.Error, Does.Contain($"0 calls this run, {Rows} answers reused from the run directory, 0 failed"));
        Assert.That(child.Output + child.Error, Does.Contain(" 0 input and 0 output tokens"), "a reused answer costs no tokens");
    }
}
