using System.Text.Json.Nodes;
using Distil.Testing;
using Distil.Tests.Providers;
using Distil.Tests.Support;
using NUnit.Framework;

namespace Distil.Tests.Cli;

/// <summary>
/// A pipeline file's <c>sample</c> with <c>people</c> (Distil.Personas, registered by the command) through the real
/// <c>distil</c> process: persona-conditioned instructions, typed people in Parquet, a bad setting named.
/// </summary>
public class PeopleSampleCliTests : FakeServerTests
{
    private TempFolder _temp = null!;

    [SetUp]
    public void CreateWorkFolder() => _temp = new TempFolder("distil-people-cli-");

    [TearDown]
    public void DeleteWorkFolder() => _temp.Dispose();

    private string PipelineFile(string people)
    {
        var path = Path.Combine(_temp.Path, "pipeline.json");
        File.WriteAllText(path, $$"""
            {
              "name": "personas",
              "steps": [
                { "name": "seeds", "sample": { "rows": 12, "seed": 4, "people": {{people}},
                    "columns": { "topic": { "category": ["taxes", "gardening"] } } } },
                { "name": "questions", "generate": { "task": "instruction_generator" }, "after": "seeds", "concurrency": 4 },
                { "name": "out", "write": "questions.parquet", "after": "questions" }
              ]
            }
            """);
        return path;
    }

    private static async Task<(int ExitCode, string Printed)> RunDistilAsync(params string[] arguments)
    {
        using var child = ChildProgram.Distil.Start(arguments);
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        await child.Process.WaitForExitAsync(timeout.Token);
        return (child.Process.ExitCode, child.Output + child.Error);
    }

    [Test]
    public async Task A_sample_of_german_people_conditions_each_instruction_and_lands_typed_in_Parquet()
    {
        Server.Reply = FakeReplies.Answering(_ => "How do I file my taxes?");
        var file = PipelineFile("""{ "locales": ["de"], "age": [30, 50] }""");

        var (exitCode, printed) = await RunDistilAsync("run", "--pipeline", file, "--model", $"endpoint:{Server.BaseUrl}#fake-model", "--run-dir", Path.Combine(_temp.Path, "run"));

        Assert.That(exitCode, Is.Zero, printed);
        var parquet = Path.Combine(_temp.Path, "questions.parquet");
        var types = Duck.Describe(parquet);
        Assert.That((types["age"], types["name"], types["persona"], types["instruction"]), Is.EqualTo(("BIGINT", "VARCHAR", "VARCHAR", "VARCHAR")));
        Assert.That(Duck.Scalar($"SELECT count(*) FROM '{parquet}' WHERE locale = 'de' AND country = 'Germany' AND age BETWEEN 30 AND 50"), Is.EqualTo(12L));
        var personas = Enumerable.Range(0, 12).Select(i => (string)Duck.Scalar($"SELECT persona FROM '{parquet}' ORDER BY persona LIMIT 1 OFFSET {i}")!).ToList();
        Assert.That(Server.Requests, Has.Count.EqualTo(12));
        foreach (var persona in personas)
            Assert.That(Server.Requests.Count(r => r.Prompt.Contains($"Write it in the words of this user: {persona}")), Is.EqualTo(1), persona);
    }

    [Test]
    public async Task A_bad_people_setting_is_named_with_its_file()
    {
        var file = PipelineFile("""{ "locales": ["de"], "female_share": 2 }""");

        var (exitCode, printed) = await RunDistilAsync("run", "--pipeline", file, "--model", $"endpoint:{Server.BaseUrl}#fake-model", "--run-dir", Path.Combine(_temp.Path, "run"));

        Assert.That(exitCode, Is.Not.Zero);
        Assert.That(printed, Does.Contain("pipeline.json").And.Contain("Sample \"people\": The female share is from 0 to 1; got 2."));
        Assert.That(Server.RequestCount, Is.Zero);
    }
}
