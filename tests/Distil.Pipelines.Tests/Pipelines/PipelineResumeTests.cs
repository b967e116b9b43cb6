using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Distil.Pipelines;
using Distil.Tasks;
using Distil.Testing;
using Distil.Tests.Providers;
using Distil.Tests.Support;
using NUnit.Framework;

namespace Distil.Tests.Pipelines;

/// <summary>Durable runs over HTTP to the fake server: stop, resume, change a step, stop gracefully.</summary>
public class PipelineResumeTests : FakeServerTests
{
    private TempFolder _temp = null!;

    [SetUp]
    public void CreateRunFolder() => _temp = new TempFolder("distil-resume-");

    [TearDown]
    public void DeleteRunFolder() => _temp.Dispose();

    private static IEnumerable<JsonObject> Questions(int count) =>
        Enumerable.Range(0, count).Select(i => new JsonObject { ["id"] = i, ["instruction"] = $"question {i}" });

    private static int RowOf(FakeRequest request) => int.Parse(Regex.Match(request.LastMessage, @"question (\d+)").Groups[1].Value);

    private Pipeline Build(string runDirectory, int rows, string? systemPrompt = null, string? output = null)
    {
        var llm = FakeServerClients.OpenAI(Server);
        var pipeline = Pipeline.Create("resume");
        pipeline.RunDirectory = runDirectory;
        var last = pipeline.Load(Questions(rows))
            .Then(new TextGeneration { Name = "answer", Llm = llm, MaxConcurrency = 8 })
            .Then(new TextGeneration { Name = "review", Llm = llm, MaxConcurrency = 8, SystemPrompt = systemPrompt, Template = "Review: {{ generation }}" });
        if (output is not null) last.Write(RowSinks.Jsonl(output));
        return pipeline;
    }

    private static PipelineRunOptions Quiet => new() { Progress = ProgressMode.None };

    [SetUp]
    public void AnswerEveryPromptDeterministically() =>
        Server.Reply = FakeReplies.Answering(r => "re " + r.LastMessage).WithLatency(TimeSpan.FromMilliseconds(2));

    [Test]
    public async Task A_stopped_run_resumes_without_asking_again_for_finished_rows_and_ends_as_an_uninterrupted_run()
    {
        var reference = await (await Build(Path.Combine(_temp.Path, "reference"), 400).RunAsync(Quiet)).Dataset.ToListAsync();
        Server.ResetStatistics();
        var firstRequest = Server.RequestCount;

        // Stop at once after 300 requests.
        using var stop = new CancellationTokenSource();
        var reply = Server.Reply;
        Server.Reply = r =>
        {
            if (r.Index - firstRequest == 300) stop.Cancel();
            return reply(r);
        };
        var runDirectory = Path.Combine(_temp.Path, "stopped");
        Assert.That(async () => await Build(runDirectory, 400).RunAsync(Quiet, stop.Token), Throws.InstanceOf<OperationCanceledException>());
        var answered = RunStore.StoredKeys(Path.Combine(runDirectory, "distil-run.db"), "answer").Select(int.Parse).ToHashSet();
        var reviewed = RunStore.StoredKeys(Path.Combine(runDirectory, "distil-run.db"), "review").Select(int.Parse).ToHashSet();
        Assert.That(answered, Is.Not.Empty);
        Server.Reply = reply;
        var resumedFrom = Server.RequestCount;

        var result = await Build(runDirectory, 400).RunAsync(Quiet);

        var rows = await result.Dataset.ToListAsync();
        Assert.That(rows.Select(r => r.ToJsonString()), Is.EqualTo(reference.Select(r => r.ToJsonString())), "same dataset as an uninterrupted run");
        var again = Server.Requests.Where(r => r.Index >= resumedFrom).ToList();
        Assert.That(again.Where(r => !r.LastMessage.StartsWith("Review:", StringComparison.Ordinal)).Select(RowOf).Where(answered.Contains), Is.Empty,
            "no answer asked again for a committed row");
        Assert.That(again.Where(r => r.LastMessage.StartsWith("Review:", StringComparison.Ordinal)).Select(RowOf).Where(reviewed.Contains), Is.Empty,
            "no review asked again for a committed row");
        // The rows not committed are asked, less those whose answers had arrived when the run
        // stopped: those are in the run directory's answers (at most the 8 calls in flight per task).
        Assert.That(again, Has.Count.InRange(800 - answered.Count - reviewed.Count - 16, 800 - answered.Count - reviewed.Count));
        Assert.That(again.Select(r => r.LastMessage).Distinct().Count(), Is.EqualTo(again.Count), "no prompt asked twice by the resumed run");
    }

    [Test]
    public async Task Changing_one_step_recomputes_it_and_what_follows_and_reuses_the_rest()
    {
        var runDirectory = Path.Combine(_temp.Path, "changed");
        await Build(runDirectory, 50).RunAsync(Quiet);
        var before = Server.RequestCount;

        var unchanged = await Build(runDirectory, 50).RunAsync(Quiet);
        Assert.That(Server.RequestCount, Is.EqualTo(before), "an unchanged pipeline asks nothing");

        var result = await Build(runDirectory, 50, systemPrompt: "Be harsh.").RunAsync(Quiet);

        var requests = Server.Requests.Where(r => r.Index >= before).ToList();
        Assert.That(requests, Has.Count.EqualTo(50));
        Assert.That(requests.Select(r => r.LastMessage), Has.All.StartsWith("Review:"), "only the changed step called the model");
        Assert.That(unchanged.Dataset.Count, Is.EqualTo(50));
        Assert.That((await result.Dataset.ToListAsync()).Select(r => (string?)r["distilabel_metadata"]!["raw_input_review"]![0]!["content"]),
            Has.All.EqualTo("Be harsh."));
    }

    [Test]
    public async Task A_graceful_stop_keeps_the_old_file_and_the_next_run_finishes()
    {
        var output = Path.Combine(_temp.Path, "out", "answers.jsonl");
        var runDirectory = Path.Combine(_temp.Path, "graceful");
        using var graceful = new CancellationTokenSource();
        var reply = Server.Reply;
        Server.Reply = r =>
        {
            if (r.Index == 40) graceful.Cancel();
            return reply(r);
        };

        var stopped = await Build(runDirectory, 3000, output: output).RunAsync(new PipelineRunOptions { GracefulStop = graceful.Token, Progress = ProgressMode.None });

        Assert.That(stopped.Completed, Is.False);
        Assert.That(File.Exists(output), Is.False, "no half-written dataset");
        Assert.That(stopped.Datasets["write"].Count, Is.InRange(1, 2999));

        Server.Reply = reply;
        var finished = await Build(runDirectory, 3000, output: output).RunAsync(Quiet);

        Assert.That(finished.Completed);
        Assert.That(File.ReadAllLines(output).Select(l => (int)JsonNode.Parse(l)!["id"]!), Is.EqualTo(Enumerable.Range(0, 3000)));
    }

    [Test]
    public async Task With_lognormal_latencies_the_task_keeps_its_calls_in_flight_instead_of_draining_per_batch()
    {
        Server.KeepRequestLog = false;
        // A long lognormal tail makes the gap wide: a barrier of 16 waits on each batch's slowest of
        // 16 answers (a mean in flight near 5 here), streaming stays near 16 even on a loaded machine.
        Server.Reply = FakeReplies.Answering(r => "re " + r.LastMessage).WithLognormalLatency(TimeSpan.FromMilliseconds(50), 1.0, seed: 7);
        var pipeline = Pipeline.Create("in-flight");
        pipeline.RunDirectory = Path.Combine(_temp.Path, "in-flight");
        pipeline.Load(Questions(1200))
            .Then(new TextGeneration { Llm = FakeServerClients.OpenAI(Server), MaxConcurrency = 16 })
            .KeepColumns("id", "generation");
        Server.ResetStatistics();

        await pipeline.RunAsync(Quiet);

        Assert.That(Server.PeakInFlight, Is.EqualTo(16));
        TestContext.Out.WriteLine($"mean in flight: {Server.MeanInFlight:0.0} of 16");
        Assert.That(Server.MeanInFlight, Is.GreaterThan(0.75 * 16), "no batch barrier: slots refill as answers arrive");
    }
}
