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
/// The tool loop against an OpenAI-compatible server on 127.0.0.1 that answers with
/// <c>tool_calls</c> and then a final answer: tools run, their results (or errors) reach the
/// model, the trajectory is kept, and nothing a tool does fails the run.
/// </summary>
public class ToolLoopTests : FakeServerTests
{
    private TempFolder _temp = null!;

    [SetUp]
    public void CreateWorkFolder() => _temp = new TempFolder("distil-tools-");

    [TearDown]
    public void DeleteWorkFolder() => _temp.Dispose();

    private static readonly AIFunction Add = AIFunctionFactory.Create((int a, int b) => a + b, "add", "Adds two integers.");

    // The model: asks for the calls on the first turn, then answers with the results it was sent.
    private void ModelCalls(params FakeToolCall[] calls) =>
        Server.Reply = request => request.ToolResults.Count == 0
            ? new FakeReply.ToolCalls(calls)
            : new FakeReply.Answer("results: " + string.Join(" | ", request.ToolResults.Select(r => $"{r.CallId}={r.Content}")));

    private TextGeneration Task(params AITool[] tools)
    {
        var task = new TextGeneration { Name = "answer", Llm = FakeServerClients.OpenAI(Server) };
        foreach (var tool in tools) task.Tools.Add(tool);
        return task;
    }

    private static JsonObject Ask(string instruction = "What is 17 + 25?") => new() { ["instruction"] = instruction };

    private static JsonArray Trajectory(JsonObject row) => row["tool_trajectory_answer"]!.AsArray();

    [Test]
    public async Task A_tool_call_is_run_and_its_result_reaches_the_model_the_answer_and_the_trajectory()
    {
        ModelCalls(new FakeToolCall("call_1", "add", """{"a":17,"b":25}"""));

        var row = (await Task(Add).ProcessRowAsync(Ask())).Single();

        Assert.That((string?)row["generation"], Is.EqualTo("results: call_1=42"));
        Assert.That(Server.Requests.Select(r => r.ToolNames), Has.All.EqualTo(new[] { "add" }), "every turn offers the tool");
        Assert.That(Server.RequestCount, Is.EqualTo(2), "the call turn and the answer turn");
        var trajectory = Trajectory(row);
        Assert.That(trajectory.Select(e => (string?)e!["role"]), Is.EqualTo(new[] { "user", "assistant", "tool", "assistant" }));
        Assert.That((string?)trajectory[1]!["tool_name"], Is.EqualTo("add"));
        Assert.That((string?)trajectory[1]!["arguments"], Is.EqualTo("""{"a":17,"b":25}"""));
        Assert.That((string?)trajectory[2]!["tool_call_id"], Is.EqualTo("call_1"));
        Assert.That((string?)trajectory[2]!["result"], Is.EqualTo("42"));
        Assert.That(trajectory[2]!["error"], Is.Null);
        Assert.That((long?)trajectory[2]!["elapsed_ms"], Is.GreaterThanOrEqualTo(0));
        Assert.That((string?)trajectory[3]!["content"], Is.EqualTo("results: call_1=42"));
        // The metadata's chat shows what the tool turns carried, not empty turns.
        var rawInput = row["distilabel_metadata"]!["raw_input_answer"]!.AsArray();
        Assert.That(rawInput.Select(m => (string?)m!["role"]), Is.EqualTo(new[] { "user", "assistant", "tool" }));
        Assert.That((string?)rawInput[1]!["content"], Is.EqualTo("""[{"id":"call_1","name":"add","arguments":"{\"a\":17,\"b\":25}"}]"""));
        Assert.That((string?)rawInput[2]!["content"], Is.EqualTo("42"));
    }

    [Test]
    public async Task Tools_declared_as_CSharp_methods_are_offered_with_their_generated_schemas_and_called()
    {
        Server.Reply = request => request.ToolResults.Count == 0
            ? new FakeReply.ToolCalls([new FakeToolCall("c1", "add", """{"a":17,"b":25}"""), new FakeToolCall("c2", "round", """{"value":2.71828,"digits":2}""")])
            : new FakeReply.Answer("results: " + string.Join(" | ", request.ToolResults.Select(r => $"{r.CallId}={r.Content}")));
        var task = new CalculatorTask { Llm = FakeServerClients.OpenAI(Server) };

        var row = (await task.ProcessRowAsync(new JsonObject { ["question"] = "What is 17 + 25?" })).Single();

        Assert.That((string?)row["answer"], Is.EqualTo("results: c1=42 | c2=2.72"));
        Assert.That(task.Calls, Is.EqualTo(new[] { "17+25" }));
        var offered = Server.Requests[0].Body["tools"]!.AsArray();
        Assert.That(offered.Select(t => (string?)t!["function"]!["name"]), Is.EqualTo(new[] { "add", "round" }));
        var add = offered[0]!["function"]!;
        Assert.That((string?)add["description"], Is.EqualTo("Adds two integers."));
        Assert.That(add["parameters"]!["properties"]!["a"]!.ToJsonString(), Is.EqualTo("""{"type":"integer","description":"The first addend."}"""));
        Assert.That(add["parameters"]!["required"]!.ToJsonString(), Is.EqualTo("""["a","b"]"""));
        Assert.That(offered[1]!["function"]!["parameters"]!["required"]!.ToJsonString(), Is.EqualTo("""["value"]"""), "a parameter with a default is optional");
    }

    [Test]
    public async Task A_generated_tool_given_a_wrong_argument_tells_the_model_which_and_why()
    {
        ModelCalls(new FakeToolCall("c1", "add", """{"a":"seventeen","b":25}"""));
        var task = new CalculatorTask { Llm = FakeServerClients.OpenAI(Server) };

        var row = (await task.ProcessRowAsync(new JsonObject { ["question"] = "What is 17 + 25?" })).Single();

        Assert.That((string?)row["answer"], Is.EqualTo("results: c1=Error: The tool 'add' failed: Argument 'a' must be an integer, not \"seventeen\"."));
        Assert.That(task.Calls, Is.Empty);
    }

    [Test]
    public async Task A_tool_that_throws_is_told_to_the_model_as_an_error_and_recorded_and_the_row_is_answered()
    {
        var broken = AIFunctionFactory.Create(string (string path) => throw new InvalidOperationException($"disk on fire at {path}"), "read_file", "Reads a file.");
        ModelCalls(new FakeToolCall("call_1", "read_file", """{"path":"/tmp/x"}"""));

        var row = (await Task(broken).ProcessRowAsync(Ask())).Single();

        var told = Server.Requests[1].ToolResults.Single().Content;
        Assert.That(told, Is.EqualTo("Error: The tool 'read_file' failed: InvalidOperationException: disk on fire at /tmp/x"));
        var result = Trajectory(row)[2]!;
        Assert.That((string?)result["error"], Is.EqualTo("The tool 'read_file' failed: InvalidOperationException: disk on fire at /tmp/x"));
        Assert.That(result["result"], Is.Null);
        Assert.That((string?)row["generation"], Does.StartWith("results: call_1=Error:"), "the model answered after the error");
        Assert.That(row["distilabel_metadata"]!["error_answer"], Is.Null, "a tool's failure is not a failed row");
    }

    [Test]
    public async Task A_tool_that_hangs_past_its_timeout_is_given_up_on_and_the_model_is_told()
    {
        // Ignores its cancellation on purpose: the loop must give up on it all the same.
        var hanging = AIFunctionFactory.Create(async () => { await System.Threading.Tasks.Task.Delay(Timeout.Infinite, CancellationToken.None); return "never"; }, "wait_forever", "Never answers.");
        ModelCalls(new FakeToolCall("call_1", "wait_forever", "{}"));
        var task = Task(hanging);
        task.ToolOptions = new() { ToolTimeout = TimeSpan.FromMilliseconds(300) };

        var started = System.Diagnostics.Stopwatch.StartNew();
        var row = (await task.ProcessRowAsync(Ask())).Single();

        Assert.That(started.Elapsed, Is.LessThan(TimeSpan.FromSeconds(20)));
        var result = Trajectory(row)[2]!;
        Assert.That((string?)result["error"], Is.EqualTo("The tool 'wait_forever' did not answer within 0.3 s and was cancelled."));
        Assert.That((long?)result["elapsed_ms"], Is.GreaterThanOrEqualTo(250));
        Assert.That(Server.Requests[1].ToolResults.Single().Content, Does.Contain("did not answer within 0.3 s"));
        Assert.That((string?)row["generation"], Does.StartWith("results: call_1=Error:"));
    }

    [Test]
    public async Task A_call_to_a_tool_the_task_does_not_have_gets_an_error_naming_the_tools_it_has()
    {
        ModelCalls(new FakeToolCall("call_1", "subtract", """{"a":1}"""));

        var row = (await Task(Add).ProcessRowAsync(Ask())).Single();

        Assert.That((string?)Trajectory(row)[2]!["error"], Is.EqualTo("There is no tool named 'subtract'. The tools are: add."));
    }

    [Test]
    public async Task A_model_that_still_asks_for_tools_after_the_last_round_gets_null_outputs_and_an_output_error_saying_so()
    {
        Server.Reply = request => new FakeReply.ToolCalls([new FakeToolCall($"call_{request.Index}", "add", """{"a":1,"b":2}""")]);
        var task = Task(Add);
        task.ToolOptions = new() { MaxToolRounds = 2 };

        var row = (await task.ProcessRowAsync(Ask())).Single();

        Assert.That(Server.RequestCount, Is.EqualTo(3), "the first turn and one after each of the 2 rounds");
        Assert.That(row["generation"], Is.Null);
        Assert.That((string?)row["distilabel_metadata"]!["output_error_answer"],
            Is.EqualTo("unreadable: the model still asked for tools after 2 rounds (MaxToolRounds); no answer was kept"));
        Assert.That(Trajectory(row).Count(e => (string?)e!["role"] == "tool"), Is.EqualTo(2), "the calls that ran are kept");
    }

    [TestCase(true, 2)]
    [TestCase(false, 1)]
    public async Task The_calls_of_one_turn_run_at_once_unless_parallel_tool_calls_is_off(bool parallel, int expectedPeak)
    {
        var running = 0;
        var peak = 0;
        var slow = AIFunctionFactory.Create(async (string name) =>
        {
            var now = Interlocked.Increment(ref running);
            InterlockedMax(ref peak, now);
            await System.Threading.Tasks.Task.Delay(300);
            Interlocked.Decrement(ref running);
            return "hello " + name;
        }, "greet", "Greets someone, slowly.");
        ModelCalls(new FakeToolCall("c1", "greet", """{"name":"Ada"}"""), new FakeToolCall("c2", "greet", """{"name":"Bob"}"""));
        var task = Task(slow);
        task.ToolOptions = new() { ParallelToolCalls = parallel };

        var row = (await task.ProcessRowAsync(Ask())).Single();

        Assert.That(peak, Is.EqualTo(expectedPeak));
        Assert.That((string?)row["generation"], Is.EqualTo("results: c1=hello Ada | c2=hello Bob"), "results in the order of the calls");
    }

    private static void InterlockedMax(ref int target, int value)
    {
        int seen;
        while ((seen = Volatile.Read(ref target)) < value && Interlocked.CompareExchange(ref target, value, seen) != seen) { }
    }

    [Test]
    public async Task In_a_pipeline_the_trajectory_is_a_typed_list_of_structs_in_Parquet_and_tool_statistics_reach_the_result()
    {
        var broken = AIFunctionFactory.Create(string () => throw new InvalidOperationException("no clock"), "now", "The time.");
        Server.Reply = request => request.ToolResults.Count == 0
            ? new FakeReply.ToolCalls([new FakeToolCall("c1", "add", """{"a":17,"b":25}"""), new FakeToolCall("c2", "now", "{}")])
            : new FakeReply.Answer("The sum of 17 and 25 is 42.");
        var parquet = Path.Combine(_temp.Path, "answers.parquet");
        var pipeline = Pipeline.Create("tools");
        pipeline.RunDirectory = Path.Combine(_temp.Path, "run");
        pipeline.Load(Enumerable.Range(0, 3).Select(i => Ask($"question {i}")))
            .Then(Task(Add, broken))
            .Write(parquet);

        var schema = (await pipeline.ValidateAsync()).ToString();
        var result = await pipeline.RunAsync(new PipelineRunOptions { Progress = ProgressMode.None });

        Assert.That(schema, Does.Contain("tool_trajectory_answer: list<struct<role: string, content: string, tool_name: string, tool_call_id: string, arguments: string, result: string, error: string, elapsed_ms: int64>>"));
        var types = Duck.Describe(parquet);
        Assert.That(types["tool_trajectory_answer"], Is.EqualTo(
            "STRUCT(role VARCHAR, content VARCHAR, tool_name VARCHAR, tool_call_id VARCHAR, arguments VARCHAR, result VARCHAR, error VARCHAR, elapsed_ms BIGINT)[]"));
        Assert.That(Duck.Scalar($"SELECT count(*) FROM (SELECT unnest(tool_trajectory_answer) AS e FROM '{parquet}') WHERE e.tool_name = 'add' AND e.role = 'tool' AND e.result = '42'"), Is.EqualTo(3L));
        Assert.That(Duck.Scalar($"SELECT count(*) FROM (SELECT unnest(tool_trajectory_answer) AS e FROM '{parquet}') WHERE e.error LIKE '%no clock%'"), Is.EqualTo(3L));
        var tools = result.Tasks["answer"].Tools;
        Assert.That(tools["add"], Is.EqualTo(new ToolStatistics(3, 0, tools["add"].Elapsed)));
        Assert.That(tools["now"].Calls, Is.EqualTo(3));
        Assert.That(tools["now"].Errors, Is.EqualTo(3));
    }
}
