using System.Text.Json.Nodes;
using Distil.LlamaSharp;
using Distil.Pipelines;
using Distil.Tasks;
using Distil.Testing;
using Distil.Tests.Providers;
using Distil.Tests.Support;
using Microsoft.Extensions.AI;
using NUnit.Framework;

namespace Distil.Tests.Pipelines;

/// <summary>A task with no input columns, as a prompt of its own.</summary>
[Task("joke")]
[UserPrompt("Tell a short joke.")]
public sealed partial class JokeTask : LlmTask<JokeTask.Input, JokeTask.Output>
{
    public sealed record Input;

    public sealed record Output(string? Joke);
}

/// <summary>Rows made from nothing by a generator task: distinct draws, resumable.</summary>
public class GenerateTests : FakeServerTests
{
    private TempFolder _temp = null!;

    [SetUp]
    public void CreateFolder() => _temp = new TempFolder("distil-generate-");

    [TearDown]
    public void DeleteFolder() => _temp.Dispose();

    [Test]
    public async Task Each_row_is_its_own_draw_and_a_stopped_run_asks_only_for_the_rows_it_lacks()
    {
        // The fake answers with the seed it was given: distinct seeds, distinct jokes.
        Server.Reply = r => new FakeReply.Answer($$"""{"joke": "joke with seed {{r.Body["seed"]}}"}""").After(TimeSpan.FromMilliseconds(5));
        Pipeline Build()
        {
            var pipeline = Pipeline.Create("jokes");
            pipeline.RunDirectory = Path.Combine(_temp.Path, "run");
            pipeline.Generate(new JokeTask { Llm = FakeServerClients.OpenAI(Server), MaxConcurrency = 16, GenerationOptions = new ChatOptions { Seed = 100 } }, rows: 600);
            return pipeline;
        }
        using var stop = new CancellationTokenSource();
        var stopping = Task.Run(async () =>
        {
            while (Server.RequestCount < 10) await Task.Delay(5);
            stop.Cancel();
        });

        var first = await Build().RunAsync(new PipelineRunOptions { Progress = ProgressMode.None, GracefulStop = stop.Token });
        await stopping;
        var askedFirst = Server.RequestCount;
        var second = await Build().RunAsync(new PipelineRunOptions { Progress = ProgressMode.None });

        Assert.That(first.Completed, Is.False);
        Assert.That(second.Completed);
        var jokes = (await second.Dataset.ToListAsync()).Select(r => (string?)r["joke"]).ToList();
        Assert.That(jokes, Has.Count.EqualTo(600));
        Assert.That(jokes, Is.Unique);
        Assert.That(jokes, Is.EqualTo(Enumerable.Range(0, 600).Select(i => $"joke with seed {100 + i}")), "row i draws with the task's seed plus i");
        Assert.That(Server.RequestCount, Is.EqualTo(600), $"no row asked twice ({askedFirst} in the first run)");
        Assert.That(askedFirst, Is.LessThan(600));
    }

    [Test]
    public async Task Magpie_makes_instructions_from_nothing_on_the_local_model()
    {
        using var llm = new ChatClientFactory { Resilience = null }.AddLocalModels(contextSize: 512, maxParallelRequests: 4).Create($"local:{TestModel.Path}");
        var pipeline = Pipeline.Create("magpie");
        pipeline.RunDirectory = Path.Combine(_temp.Path, "magpie");
        pipeline.Generate(new Magpie { Llm = llm, MaxConcurrency = 4, OnlyInstruction = true, GenerationOptions = new ChatOptions { MaxOutputTokens = 12, Seed = 1 } }, rows: 6);

        var rows = await (await pipeline.RunAsync(new PipelineRunOptions { Progress = ProgressMode.None })).Dataset.ToListAsync();

        var instructions = rows.Select(r => (string?)r["instruction"]).ToList();
        Assert.That(instructions, Has.Count.EqualTo(6));
        Assert.That(instructions, Is.Unique, "each row its own draw");
        Assert.That(instructions, Has.All.Not.Null.And.All.Not.Empty);
    }

    [Test]
    public async Task Seeds_from_a_sampler_give_one_draw_each_even_when_two_seeds_are_equal()
    {
        Server.Reply = r => new FakeReply.Answer($"Instruction: \"Something about {TopicOf(r.LastMessage)} (seed {r.Body["seed"]})\"");
        var pipeline = Pipeline.Create("seeded");
        pipeline.RunDirectory = Path.Combine(_temp.Path, "seeded");
        var seeds = RowSources.Sample(rows: 12, seed: 3, new Dictionary<string, SampledColumn>
        {
            ["topic"] = SampledColumn.Category(["tides", "volcanoes"]),
            ["difficulty"] = SampledColumn.Category(["easy", "hard"]),
        });
        pipeline.Generate(new InstructionGenerator { Llm = FakeServerClients.OpenAI(Server), MaxConcurrency = 4, GenerationOptions = new ChatOptions { Seed = 50 } }, seeds);

        var rows = await (await pipeline.RunAsync(new PipelineRunOptions { Progress = ProgressMode.None })).Dataset.ToListAsync();

        Assert.That(rows, Has.Count.EqualTo(12));
        Assert.That(rows.Select(r => (string?)r["instruction"]), Is.EqualTo(rows.Select((r, i) => $"Something about {r["topic"]} (seed {50 + i})")),
            "the seed's topic reached the prompt, the label and quotes are gone, and row i draws with seed 50 + i");
        Assert.That(Server.Requests.Select(r => r.LastMessage), Has.All.Contain("Difficulty: "));
    }

    private static string TopicOf(string prompt) => prompt.Contains("Subject: tides") ? "tides" : prompt.Contains("Subject: volcanoes") ? "volcanoes" : "nothing";

    [Test]
    public async Task A_killed_generator_run_resumes_and_asks_again_at_most_the_calls_in_flight()
    {
        const int rows = 600;
        const int concurrency = 8;
        // 8 calls of 20 ms at a time: the 450 left after the kill point take over a second, time enough to kill mid-way.
        Server.Reply = FakeReplies.Answering(r => $"Write about {TopicOf(r.LastMessage)}, draw {r.Body["seed"]}.").WithLatency(TimeSpan.FromMilliseconds(20));
        var file = Path.Combine(_temp.Path, "generate.json");
        File.WriteAllText(file, $$"""
            {
              "name": "seeded-instructions",
              "steps": [
                { "name": "seeds", "sample": { "rows": {{rows}}, "seed": 11, "columns": { "topic": { "category": ["tides", "volcanoes"] } } } },
                { "name": "instructions", "generate": { "task": "instruction_generator" }, "after": "seeds",
                  "params": { "seed": 1000 }, "concurrency": {{concurrency}} },
                { "name": "out", "write": "instructions.jsonl", "after": "instructions" }
              ]
            }
            """);
        var runDirectory = Path.Combine(_temp.Path, "run");
        string[] arguments = ["run", "--pipeline", file, "--run-dir", runDirectory, "--model", $"endpoint:{Server.BaseUrl}#fake-model"];

        using (var child = ChildProgram.Distil.Start(arguments))
        {
            var clock = System.Diagnostics.Stopwatch.StartNew();
            while (Server.RequestCount < 150)
            {
                if (child.HasExited) Assert.Fail($"distil run ended before it could be killed ({child.Process.ExitCode}): {child.Error}");
                Assert.That(clock.Elapsed, Is.LessThan(TimeSpan.FromSeconds(90)), "distil run asked too little");
                await Task.Delay(10);
            }
            await child.KillAsync(); // SIGKILL
        }
        var askedBefore = Server.Requests.Select(r => (int)r.Body["seed"]!).ToHashSet();
        Assert.That(askedBefore.Count, Is.InRange(150, rows - 1), "killed mid-way");
        var resumedFrom = Server.RequestCount;

        var (exitCode, error) = await ChildProgram.Distil.RunAsync(arguments);

        Assert.That(exitCode, Is.Zero, error);
        var written = File.ReadAllLines(Path.Combine(_temp.Path, "instructions.jsonl")).Select(l => JsonNode.Parse(l)!.AsObject()).ToList();
        Assert.That(written.Select(r => (string?)r["instruction"]), Is.EqualTo(written.Select((r, i) => $"Write about {r["topic"]}, draw {1000 + i}.")),
            "every seed row once, in order, each with its own draw");
        var askedAgain = Server.Requests.Where(r => r.Index >= resumedFrom).Select(r => (int)r.Body["seed"]!).Where(askedBefore.Contains).ToList();
        Assert.That(askedAgain, Has.Count.LessThanOrEqualTo(concurrency), "only the calls in flight at the kill are asked again");
        Assert.That(Server.RequestCount - resumedFrom, Is.EqualTo(rows - askedBefore.Count + askedAgain.Count));
    }

    [Test]
    public void A_task_that_needs_inputs_cannot_generate() =>
        Assert.That(() => Pipeline.Create("nope").Generate(new TextGeneration(), rows: 3),
            Throws.ArgumentException.With.Message.Contains("needs input columns (instruction)").And.Message.Contains("Load(...).Then(task)"));
}
