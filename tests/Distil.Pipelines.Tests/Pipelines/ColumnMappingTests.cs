using System.Text.Json.Nodes;
using Distil.Pipelines;
using Distil.Tasks;
using Distil.Testing;
using Distil.Tests.Support;
using NUnit.Framework;

namespace Distil.Tests.Pipelines;

/// <summary>A built-in task reading and writing columns under other names, checked before any call.</summary>
public class ColumnMappingTests
{
    private TempFolder _temp = null!;

    [SetUp]
    public void CreateFolder() => _temp = new TempFolder("distil-mappings-");

    [TearDown]
    public void DeleteFolder() => _temp.Dispose();

    private static ColumnMappings Mappings(Dictionary<string, string>? inputs = null, Dictionary<string, string>? outputs = null) =>
        new() { Inputs = inputs ?? [], Outputs = outputs ?? [] };

    [Test]
    public async Task A_task_reads_question_as_its_instruction_and_writes_answer()
    {
        var llm = new ScriptedChatClient(r => ScriptedChatClient.Answer("answer to " + r.UserText));
        var pipeline = Pipeline.Create("mapped");
        pipeline.RunDirectory = Path.Combine(_temp.Path, "run");
        pipeline.Load([new JsonObject { ["question"] = "why?", ["instruction"] = "kept as it is" }])
            .Then(new TextGeneration { Llm = llm }, Mappings(new() { ["instruction"] = "question" }, new() { ["generation"] = "answer" }));

        var schema = (await pipeline.ValidateAsync()).ToString();
        var rows = await (await pipeline.RunAsync(new PipelineRunOptions { Progress = ProgressMode.None })).Dataset.ToListAsync();

        Assert.That(llm.Requests.Single().UserText, Is.EqualTo("why?"), "the task read 'question'");
        Assert.That((string?)rows[0]["answer"], Is.EqualTo("answer to why?"));
        Assert.That((string?)rows[0]["question"], Is.EqualTo("why?"));
        Assert.That((string?)rows[0]["instruction"], Is.EqualTo("kept as it is"), "a column bearing the task's name is left alone");
        Assert.That(rows[0].ContainsKey("generation"), Is.False);
        Assert.That(schema, Does.Contain("answer: string").And.Contain("question: string").And.Not.Contain("\n  generation:"));
    }

    [Test]
    public void An_unknown_task_column_is_refused_with_the_closest_name()
    {
        var pipeline = Pipeline.Create("typo");
        var rows = pipeline.Load([new JsonObject { ["question"] = "q" }]);

        Assert.That(() => rows.Then(new TextGeneration(), Mappings(new() { ["instrction"] = "question" })),
            Throws.ArgumentException.With.Message.Contains("has no input 'instrction' to map").And.Message.Contains("Did you mean 'instruction'?"));
        Assert.That(() => rows.Then(new TextGeneration(), Mappings(outputs: new() { ["generations"] = "answer" })),
            Throws.ArgumentException.With.Message.Contains("has no output 'generations'").And.Message.Contains("Did you mean 'generation'?"));
    }

    [Test]
    public void A_mapped_column_the_data_lacks_is_refused_before_any_call()
    {
        var llm = new ScriptedChatClient("never");
        var pipeline = Pipeline.Create("missing");
        pipeline.RunDirectory = Path.Combine(_temp.Path, "run");
        pipeline.Load([new JsonObject { ["question"] = "q" }]).Then(new TextGeneration { Llm = llm }, Mappings(new() { ["instruction"] = "questoin" }));

        Assert.That(async () => await pipeline.RunAsync(new PipelineRunOptions { Progress = ProgressMode.None }),
            Throws.TypeOf<PipelineException>().With.Message.Contains("needs column 'questoin'").And.Message.Contains("Did you mean 'question'?"));
        Assert.That(llm.Requests, Is.Empty);
    }

    [Test]
    public async Task Pipeline_files_take_input_and_output_mappings()
    {
        File.WriteAllText(Path.Combine(_temp.Path, "q.jsonl"), "{\"question\":\"why?\"}\n");
        File.WriteAllText(Path.Combine(_temp.Path, "p.json"), """
            { "name": "mapped-file", "steps": [
              { "name": "rows", "load": "q.jsonl" },
              { "name": "gen", "task": "text_generation", "after": "rows", "input_mappings": { "instruction": "question" }, "output_mappings": { "generation": "answer" } },
              { "name": "out", "write": "out.jsonl", "after": "gen" } ] }
            """);

        var (exitCode, error) = await ChildProgram.Distil.RunAsync("run", "--pipeline", Path.Combine(_temp.Path, "p.json"), "--model",
            $"local:{TestModel.Path}", "--run-dir", Path.Combine(_temp.Path, "run"), "--param", "gen.max_new_tokens=4");

        Assert.That(exitCode, Is.Zero, error);
        var row = JsonNode.Parse(File.ReadAllLines(Path.Combine(_temp.Path, "out.jsonl")).Single())!;
        Assert.That(((string?)row["question"], row["answer"] is not null), Is.EqualTo(("why?", true)));
    }
}
