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
    private string _work = null!;

    [SetUp]
    public void CreateFolder() => _work = Directory.CreateTempSubdirectory("distil-generate-").FullName;

    [TearDown]
    public void DeleteFolder() => Directory.Delete(_work, recursive: true);

    [Test]
    public async Task Each_row_is_its_own_draw_and_a_stopped_run_asks_only_for_the_rows_it_lacks()
    {
        // The fake answers with the seed it was given: distinct seeds, distinct jokes.
        Server.Reply = r => new FakeReply.Answer($$"""{"joke": "joke with seed {{r.Body["seed"]}}"}""").After(TimeSpan.FromMilliseconds(5));
        Pipeline Build()
        {
            var pipeline = Pipeline.Create("jokes");
            pipeline.RunDirectory = Path.Combine(_work, "run");
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
        pipeline.RunDirectory = Path.Combine(_work, "magpie");
        pipeline.Generate(new Magpie { Llm = llm, MaxConcurrency = 4, OnlyInstruction = true, GenerationOptions = new ChatOptions { MaxOutputTokens = 12, Seed = 1 } }, rows: 6);

        var rows = await (await pipeline.RunAsync(new PipelineRunOptions { Progress = ProgressMode.None })).Dataset.ToListAsync();

        var instructions = rows.Select(r => (string?)r["instruction"]).ToList();
        Assert.That(instructions, Has.Count.EqualTo(6));
        Assert.That(instructions, Is.Unique, "each row its own draw");
        Assert.That(instructions, Has.All.Not.Null.And.All.Not.Empty);
    }

    [Test]
    public void A_task_that_needs_inputs_cannot_generate() =>
        Assert.That(() => Pipeline.Create("nope").Generate(new TextGeneration(), rows: 3),
            Throws.ArgumentException.With.Message.Contains("needs input columns (instruction)").And.Message.Contains("Load(...).Then(task)"));
}
