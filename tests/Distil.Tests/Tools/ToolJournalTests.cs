using System.Text.Json.Nodes;
using Distil.Pipelines;
using Distil.Tasks;
using Distil.Testing;
using Distil.Tests.Providers;
using Distil.Tests.Support;
using Microsoft.Extensions.AI;
using NUnit.Framework;

namespace Distil.Tests.Tools;

/// <summary>
/// Tool calls are journaled beside the run's answers (<c>answers.db</c>): a run on the same run
/// directory that computes a task step again, or asks a failed row again, runs no tool call that
/// had finished and asks the model for no turn it already has.
/// </summary>
public class ToolJournalTests : FakeServerTests
{
    private const int Rows = 4;

    private TempFolder _temp = null!;
    private int _invocations;

    [SetUp]
    public void CreateRunFolder()
    {
        _temp = new TempFolder("distil-tool-journal-");
        _invocations = 0;
    }

    [TearDown]
    public void DeleteRunFolder() => _temp.Dispose();

    private static PipelineRunOptions Quiet => new() { Progress = ProgressMode.None };

    private static readonly ResilienceOptions NoRetries = new() { MaxRetries = 0, AttemptTimeout = TimeSpan.FromSeconds(20) };

    // A tool with a side effect this test counts.
    private string _description = "Adds two integers.";

    private AIFunction Add() => AIFunctionFactory.Create((int a, int b) =>
    {
        Interlocked.Increment(ref _invocations);
        return a + b;
    }, "add", _description);

    private static JsonObject Ask(JsonObject row)
    {
        row["instruction"] = $"add {(int)row["id"]!} and 1";
        return row;
    }

    // A changed Map that leaves every prompt as it was: the task step is computed again.
    private static JsonObject AskAndNote(JsonObject row)
    {
        Ask(row)["note"] = "not read by the task";
        return row;
    }

    private Pipeline Build(Func<JsonObject, JsonObject> map)
    {
        var pipeline = Pipeline.Create("journal");
        pipeline.RunDirectory = Path.Combine(_temp.Path, "run");
        var task = new TextGeneration { Name = "answer", Llm = FakeServerClients.OpenAI(Server, resilience: NoRetries), MaxConcurrency = 2 };
        task.Tools.Add(Add());
        pipeline.Load(Enumerable.Range(0, Rows).Select(i => new JsonObject { ["id"] = i }))
            .Map(map, reads: ["id"], writes: ["instruction", "note"], name: "prompt")
            .Then(task)
            .Write(RowSinks.Jsonl(Path.Combine(_temp.Path, "out.jsonl")));
        return pipeline;
    }

    // The model: adds the row's number and 1 with the tool, then says the result.
    private static FakeReply Model(FakeRequest request)
    {
        if (request.ToolResults.Count > 0) return new FakeReply.Answer("it is " + request.ToolResults[0].Content);
        var id = System.Text.RegularExpressions.Regex.Match(request.LastMessage, @"add (\d+)").Groups[1].Value;
        return new FakeReply.ToolCalls([new FakeToolCall("call_" + id, "add", $$"""{"a":{{id}},"b":1}""")]);
    }

    [Test]
    public async Task A_recomputed_step_makes_no_model_call_and_runs_no_tool_call_again()
    {
        Server.Reply = Model;
        await Build(Ask).RunAsync(Quiet);
        Assert.That(Server.RequestCount, Is.EqualTo(2 * Rows));
        Assert.That(_invocations, Is.EqualTo(Rows));
        var before = File.ReadAllLines(Path.Combine(_temp.Path, "out.jsonl"));

        var rerun = await Build(AskAndNote).RunAsync(Quiet);

        Assert.That(Server.RequestCount, Is.EqualTo(2 * Rows), "every turn came from the run's answers");
        Assert.That(_invocations, Is.EqualTo(Rows), "every tool call came from the journal");
        Assert.That(rerun.Tasks["answer"].AnswersReused, Is.EqualTo(2 * Rows));
        Assert.That(rerun.Tasks["answer"].Tools["add"], Is.EqualTo(new ToolStatistics(0, 0, TimeSpan.Zero) { Reused = Rows }));
        var after = File.ReadAllLines(Path.Combine(_temp.Path, "out.jsonl")).Select(l => { var row = JsonNode.Parse(l)!.AsObject(); row.Remove("note"); return row.ToJsonString(); });
        Assert.That(after, Is.EqualTo(before.Select(l => JsonNode.Parse(l)!.ToJsonString())), "the same answers and trajectories");
    }

    [Test]
    public async Task Tools_described_otherwise_make_other_requests_the_step_is_computed_again_and_asks_again()
    {
        Server.Reply = Model;
        await Build(Ask).RunAsync(Quiet);
        var firstRun = Server.RequestCount;

        _description = "Adds two whole numbers and returns their sum.";
        var rerun = await Build(Ask).RunAsync(Quiet);

        Assert.That(Server.RequestCount - firstRun, Is.EqualTo(2 * Rows), "the tools are part of each request: no kept answer fits");
        Assert.That((string?)Server.Requests[^1].Body["tools"]![0]!["function"]!["description"], Is.EqualTo(_description));
        Assert.That(rerun.Tasks["answer"].AnswersReused, Is.Zero);
        Assert.That(_invocations, Is.EqualTo(Rows), "the calls, the same calls at the same places, are still read back from the journal");
    }

    [Test]
    public async Task A_rerun_on_a_finished_run_directory_makes_no_model_call_and_no_tool_call()
    {
        Server.Reply = Model;
        await Build(Ask).RunAsync(Quiet);
        var (requests, invocations) = (Server.RequestCount, _invocations);

        await Build(Ask).RunAsync(Quiet);

        Assert.That((Server.RequestCount, _invocations), Is.EqualTo((requests, invocations)));
    }

    [Test]
    public async Task A_row_whose_answer_turn_failed_is_asked_again_without_running_its_finished_tool_call_again()
    {
        // The first run: every tool call runs, then every answer turn fails for good.
        Server.Reply = request => request.ToolResults.Count > 0 ? new FakeReply.ServerError(500) : Model(request);
        var first = await Build(Ask).RunAsync(Quiet);
        Assert.That(first.Tasks["answer"].FailedCalls, Is.EqualTo(Rows));
        Assert.That(_invocations, Is.EqualTo(Rows));
        var firstRunRequests = Server.RequestCount;

        Server.Reply = Model;
        await Build(Ask).RunAsync(Quiet);

        var asked = Server.Requests.Skip(firstRunRequests).ToList();
        Assert.That(asked, Has.Count.EqualTo(Rows), "only the answer turns: the tool-call turns came from the run's answers");
        Assert.That(asked.Select(r => r.ToolResults.Count), Has.All.EqualTo(1));
        Assert.That(_invocations, Is.EqualTo(Rows), "no tool call ran twice");
        var rows = File.ReadAllLines(Path.Combine(_temp.Path, "out.jsonl")).Select(l => JsonNode.Parse(l)!).ToList();
        Assert.That(rows.Select(r => (string?)r["generation"]), Is.EquivalentTo(Enumerable.Range(0, Rows).Select(i => $"it is {i + 1}")));
    }
}
