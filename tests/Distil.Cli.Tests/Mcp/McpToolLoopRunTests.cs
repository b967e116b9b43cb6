using System.Text.Json.Nodes;
using Distil.Testing;
using Distil.Tests.Providers;
using Distil.Tests.Support;
using NUnit.Framework;

namespace Distil.Tests.Mcp;

/// <summary>
/// The whole way, as issue 32 asks: <c>distil run --task text_generation --mcp "node .../server-everything/dist/index.js stdio"</c>
/// against a fake model that asks for <c>get-sum</c>; the real server's own text comes back in the trajectory and
/// the answer, and a rerun on the same run directory asks the model nothing and calls no tool (counted at the server).
/// </summary>
public sealed class McpToolLoopRunTests : FakeServerTests
{
    private const string ServersText = "The sum of 17 and 25 is 42.";

    private TempFolder _temp = null!;

    [SetUp]
    public void CreateWorkFolder()
    {
        _temp = new TempFolder("distil-mcp-loop-");
        File.WriteAllLines(Path.Combine(_temp.Path, "questions.jsonl"), ["""{"instruction": "What is 17 plus 25? Use the tool."}"""]);
    }

    [TearDown]
    public void DeleteWorkFolder() => _temp.Dispose();

    [Test]
    public async Task A_task_answers_through_the_real_servers_get_sum_and_a_rerun_asks_and_calls_nothing()
    {
        var callLog = Path.Combine(_temp.Path, "tool-calls.log");
        // The model asks for get-sum, then answers with what the tool said.
        Server.Reply = request => request.ToolResults.Count == 0
            ? new FakeReply.ToolCalls([new FakeToolCall("call_1", "get-sum", """{"a": 17, "b": 25}""")])
            : new FakeReply.Answer("The tool says: " + request.ToolResults[0].Content);
        string[] arguments =
        [
            "run", "--task", "text_generation", "--input", Path.Combine(_temp.Path, "questions.jsonl"), "--output", Path.Combine(_temp.Path, "answers.jsonl"),
            "--model", $"endpoint:{Server.BaseUrl}#fake-model", "--run-dir", Path.Combine(_temp.Path, "run"),
            "--mcp", EverythingServer.CommandLineLoggingCalls(callLog), "--mcp-tools", "get-sum",
        ];

        var first = await ChildProgram.Distil.RunAsync(arguments);

        Assert.That(first.ExitCode, Is.Zero, first.Error);
        Assert.That(Server.RequestCount, Is.EqualTo(2), "the turn that asks for the tool, then the answer");
        Assert.That(Server.Requests[0].ToolNames, Is.EqualTo(new[] { "get-sum" }), "the filtered MCP tool is offered to the model");
        Assert.That(Server.Requests[1].ToolResults.Single().Content, Does.Contain(ServersText), "the server's own result goes back to the model");
        Assert.That(EverythingServer.LoggedCalls(callLog), Has.Count.EqualTo(1), "one tools/call reached the server");
        var row = JsonNode.Parse(File.ReadAllLines(Path.Combine(_temp.Path, "answers.jsonl")).Single())!.AsObject();
        Assert.That((string?)row["generation"], Does.Contain(ServersText));
        Assert.That(row["tool_trajectory_text_generation"]?.ToJsonString(), Does.Contain(ServersText).And.Contain("get-sum"));
        var written = File.ReadAllText(Path.Combine(_temp.Path, "answers.jsonl"));

        var rerun = await ChildProgram.Distil.RunAsync(arguments);

        Assert.That(rerun.ExitCode, Is.Zero, rerun.Error);
        Assert.That(Server.RequestCount, Is.EqualTo(2), "a rerun on the same run directory asks the model nothing");
        Assert.That(EverythingServer.LoggedCalls(callLog), Has.Count.EqualTo(1), "and calls no tool");
        Assert.That(File.ReadAllText(Path.Combine(_temp.Path, "answers.jsonl")), Is.EqualTo(written));

        // The estimate knows the servers' tools too: nothing recomputes, nothing is asked or called.
        using var estimate = ChildProgram.Distil.Start(new Dictionary<string, string>(), [.. arguments, "--dry-run"]);
        using (var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3))) await estimate.Process.WaitForExitAsync(timeout.Token);

        Assert.That(estimate.Process.ExitCode, Is.Zero, estimate.Error);
        Assert.That(estimate.Output, Does.Contain("Estimate").And.Not.Contain("recomputes"), estimate.Output);
        Assert.That(Server.RequestCount, Is.EqualTo(2), "a dry run asks the model nothing");
        Assert.That(EverythingServer.LoggedCalls(callLog), Has.Count.EqualTo(1), "and calls no tool");
    }
}
