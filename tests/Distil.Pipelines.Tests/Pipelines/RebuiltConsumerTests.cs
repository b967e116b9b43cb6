using System.Runtime.Loader;
using Distil.Testing;
using Distil.Tests.Providers;
using Distil.Tests.Support;
using Microsoft.CodeAnalysis;
using Microsoft.Extensions.AI;
using NUnit.Framework;

namespace Distil.Tests.Pipelines;

/// <summary>
/// A consumer's program (load, Map, task, write) compiled with Roslyn, run against the stand-in
/// server, edited, compiled and run again in the same run directory, as a user does with
/// <c>dotnet run</c>: an edit elsewhere in the program asks nothing again; an edit of the Map's
/// body that changes every prompt asks once per row, and the dataset follows the new code; an edit
/// that changes half the prompts asks for that half only.
/// </summary>
public class RebuiltConsumerTests : FakeServerTests
{
    private const string Program = """
        using System.Text.Json.Nodes;
        using Distil.Pipelines;
        using Distil.Tasks;
        using Consumer;

        /*TOP*/
        var pipeline = Pipeline.Create("consumer");
        pipeline.RunDirectory = args[2];
        pipeline.Load(RowSources.Jsonl(args[0]))
            .Map(row => { row["instruction"] = "Say " + row["text"]!.GetValue<string>().ToUpperInvariant(); return row; },
                reads: ["text"], writes: ["instruction"], name: "prompt")
            .Then(new TextGeneration { Name = "answer", Llm = Hooks.Llm })
            .Write(RowSinks.Jsonl(args[1]));
        await pipeline.RunAsync(new PipelineRunOptions { Progress = ProgressMode.None });
        """;

    private const string Hooks = """
        namespace Consumer;
        public static class Hooks { public static Microsoft.Extensions.AI.IChatClient? Llm; }
        """;

    private const int Rows = 6;

    private TempFolder _temp = null!;

    [SetUp]
    public void CreateFolder()
    {
        _temp = new TempFolder("distil-rebuilt-");
        Server.Reply = FakeReplies.Answering(r => "re " + r.LastMessage);
    }

    [TearDown]
    public void DeleteFolder() => _temp.Dispose();

    [Test]
    public async Task An_unrelated_edit_asks_nothing_a_map_edit_asks_once_per_changed_prompt_and_old_code_asks_nothing()
    {
        var input = Path.Combine(_temp.Path, "input.jsonl");
        await File.WriteAllLinesAsync(input, Enumerable.Range(0, Rows).Select(i => $$"""{"text":"word {{i}}"}"""));

        Assert.That(await RunAsync(Program, input), Is.EqualTo(Rows), "the first run asks once per row");
        var firstDataset = await File.ReadAllTextAsync(Output);

        var unrelated = CodeSignatureTests.WithMarks(Program, top: """
            Console.WriteLine("Starting the consumer run");
            Func<int, string> twice = n => (n * 2).ToString();
            Console.WriteLine(twice(21));
            """);
        Assert.That(await RunAsync(unrelated, input), Is.EqualTo(0), "an unrelated edit and rebuild asks nothing");
        Assert.That(await File.ReadAllTextAsync(Output), Is.EqualTo(firstDataset));

        var lower = unrelated.Replace("ToUpperInvariant()", "ToLowerInvariant()");
        Assert.That(await RunAsync(lower, input), Is.EqualTo(Rows), "a Map whose every prompt changed asks once per row");
        var dataset = await File.ReadAllTextAsync(Output);
        Assert.That(dataset, Does.Contain("Say word 0").And.Not.Contain("WORD"), "the dataset follows the code that ran");

        // Rows 1, 3 and 5 get a new prompt; the other half keep theirs.
        var half = lower.Replace("row[\"text\"]!.GetValue<string>().ToLowerInvariant()",
            "(row[\"text\"]!.GetValue<string>().ToLowerInvariant() is var t && \"135\".Contains(t[^1]) ? t + \"!\" : t)");
        Assert.That(half, Is.Not.EqualTo(lower), "the edit applies");
        Assert.That(await RunAsync(half, input), Is.EqualTo(Rows / 2), "a Map that changed half the prompts asks for that half only");
        Assert.That(Generations(), Is.EqualTo(Enumerable.Range(0, Rows).Select(i => i % 2 == 1 ? $"re Say word {i}!" : $"re Say word {i}")),
            "changed rows carry the new answers, the others the answers paid for before");

        // Back to the first program: every prompt was answered in the first run, and is answered from there.
        Assert.That(await RunAsync(Program, input), Is.EqualTo(0), "going back to code that ran before asks nothing");
        Assert.That(await File.ReadAllTextAsync(Output), Is.EqualTo(firstDataset));
    }

    private string Output => Path.Combine(_temp.Path, "output.jsonl");

    private List<string> Generations() =>
        File.ReadAllLines(Output).Select(line => System.Text.Json.Nodes.JsonNode.Parse(line)!["generation"]!.GetValue<string>()).ToList();

    // Compiles and runs the program in the shared run directory; returns the LLM calls it made.
    private async Task<long> RunAsync(string program, string input)
    {
        var before = Server.RequestCount;
        var context = new AssemblyLoadContext("rebuilt-consumer", isCollectible: true);
        try
        {
            var assembly = context.LoadFromStream(new MemoryStream(CodeSignatureTests.Emit(OptimizationLevel.Debug, program, Hooks)));
            assembly.GetType("Consumer.Hooks", throwOnError: true)!.GetField("Llm")!.SetValue(null, FakeServerClients.OpenAI(Server));
            var result = assembly.EntryPoint!.Invoke(null, [new[] { input, Output, Path.Combine(_temp.Path, "run") }]);
            if (result is Task task) await task;
        }
        finally
        {
            context.Unload();
        }
        return Server.RequestCount - before;
    }
}
