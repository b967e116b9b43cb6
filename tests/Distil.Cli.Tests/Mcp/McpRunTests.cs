using System.Text.Json;
using Distil.Testing;
using Distil.Tests.Providers;
using Distil.Tests.Support;
using Json.Schema;
using NUnit.Framework;

namespace Distil.Tests.Mcp;

/// <summary>
/// <c>distil run --mcp</c> and pipeline files' <c>"tools": {"mcp": [...]}</c> through the real distil process,
/// with the real everything server from npm: servers start with the run and stop when it ends, and every
/// mistake in naming them is a clear error before any model is asked.
/// </summary>
public sealed class McpRunTests : FakeServerTests
{
    private TempFolder _temp = null!;

    [SetUp]
    public void CreateWorkFolder()
    {
        _temp = new TempFolder("distil-mcp-run-");
        File.WriteAllLines(Path.Combine(_temp.Path, "questions.jsonl"), ["""{"instruction": "What is 17 plus 25?"}"""]);
    }

    [TearDown]
    public void DeleteWorkFolder() => _temp.Dispose();

    private string Model => $"endpoint:{Server.BaseUrl}#fake-model";

    private string[] TaskRun(params string[] more) =>
    [
        "run", "--task", "text_generation", "--input", Path.Combine(_temp.Path, "questions.jsonl"), "--output", Path.Combine(_temp.Path, "answers.jsonl"),
        "--model", Model, "--run-dir", Path.Combine(_temp.Path, "run"), .. more,
    ];

    [Test]
    public async Task Mcp_starts_the_server_with_the_run_gives_the_task_the_filtered_tools_and_stops_it_at_the_end()
    {
        var marker = "distil-mcp-run-" + Guid.NewGuid().ToString("N");
        Server.Reply = FakeReplies.Answering(_ => "42");

        using var child = ChildProgram.Distil.Start(TaskRun("--mcp", $"{EverythingServer.CommandLine} {marker}", "--mcp-tools", "get-sum, echo"));
        await child.Process.WaitForExitAsync();

        Assert.That(child.Process.ExitCode, Is.Zero, child.Error);
        Assert.That(child.Output, Does.Contain("--mcp: tools echo, get-sum from MCP server 'node ").Or.Contain("--mcp: tools get-sum, echo from MCP server 'node "));
        Assert.That(EverythingServer.ProcessesWith(marker), Is.Empty, "the server stops when the run ends");
    }

    [Test]
    public async Task Mcp_with_an_http_url_reaches_a_running_server()
    {
        Server.Reply = FakeReplies.Answering(_ => "42");
        var (server, url) = await EverythingServer.StartHttpAsync();
        try
        {
            using var run = ChildProgram.Distil.Start(TaskRun("--mcp", url.ToString(), "--mcp-tools", "get-sum"));
            await run.Process.WaitForExitAsync();

            Assert.That(run.Process.ExitCode, Is.Zero, run.Error);
            Assert.That(run.Output, Does.Contain($"--mcp: tools get-sum from MCP server '{url}'."));
        }
        finally
        {
            server.Kill(entireProcessTree: true);
            server.Dispose();
        }
    }

    [Test]
    public async Task An_http_url_where_nothing_listens_is_refused_before_any_model_call()
    {
        var url = $"http://127.0.0.1:{EverythingServer.FreePort()}/mcp";

        var (exitCode, error) = await ChildProgram.Distil.RunAsync(TaskRun("--mcp", url));

        Assert.That(exitCode, Is.EqualTo(2));
        Assert.That(error, Does.StartWith($"distil run: --mcp: MCP server at {url} could not be reached or did not answer the MCP handshake: "));
        Assert.That(Server.RequestCount, Is.Zero);
    }

    [Test]
    public async Task A_command_that_does_not_exist_is_refused_before_any_model_call()
    {
        var (exitCode, error) = await ChildProgram.Distil.RunAsync(TaskRun("--mcp", "no-such-mcp-server --stdio"));

        Assert.That(exitCode, Is.EqualTo(2));
        Assert.That(error.Trim(), Is.EqualTo("distil run: --mcp: MCP server 'no-such-mcp-server --stdio': the command 'no-such-mcp-server' was not found on PATH. Install it, or give its full path."));
        Assert.That(Server.RequestCount, Is.Zero);
        Assert.That(File.Exists(Path.Combine(_temp.Path, "answers.jsonl")), Is.False);
    }

    [Test]
    public async Task A_server_that_exits_while_starting_is_reported_with_what_it_said()
    {
        var (exitCode, error) = await ChildProgram.Distil.RunAsync(TaskRun("--mcp", "node -e \"console.error('SERVER_TOKEN is not set'); process.exit(4)\""));

        Assert.That(exitCode, Is.EqualTo(2));
        Assert.That(error, Does.StartWith("distil run: --mcp: MCP server 'node -e ").And.Contain("did not start").And.Contain("SERVER_TOKEN is not set"));
        Assert.That(Server.RequestCount, Is.Zero);
    }

    [Test]
    public async Task Mcp_tools_naming_a_tool_no_server_has_lists_the_tools_they_have()
    {
        var (exitCode, error) = await ChildProgram.Distil.RunAsync(TaskRun("--mcp", EverythingServer.CommandLine, "--mcp-tools", "get-sum,get-product"));

        Assert.That(exitCode, Is.EqualTo(2));
        Assert.That(error, Does.StartWith("distil run: --mcp: no MCP server has the tool 'get-product' named by --mcp-tools; the servers' tools: ")
            .And.Contain("get-sum").And.Contain("echo"));
        Assert.That(Server.RequestCount, Is.Zero);
    }

    [Test]
    public async Task Two_servers_with_the_same_tool_are_refused_unless_a_filter_keeps_one()
    {
        var (exitCode, error) = await ChildProgram.Distil.RunAsync(TaskRun("--mcp", EverythingServer.CommandLine, "--mcp", EverythingServer.CommandLine));

        Assert.That(exitCode, Is.EqualTo(2));
        Assert.That(error, Does.StartWith("distil run: --mcp: two tools are named 'echo': one from MCP server 'node ").And.Contain("Keep one with a filter"));
    }

    [Test]
    public async Task Mcp_tools_without_mcp_and_mcp_with_a_pipeline_are_refused()
    {
        var alone = await ChildProgram.Distil.RunAsync(TaskRun("--mcp-tools", "get-sum"));
        var pipeline = await ChildProgram.Distil.RunAsync("run", "--pipeline", PipelineFile(""), "--mcp", EverythingServer.CommandLine);

        Assert.That(alone.ExitCode, Is.EqualTo(2));
        Assert.That(alone.Error, Does.StartWith("distil run: --mcp-tools filters the tools of --mcp servers"));
        Assert.That(pipeline.ExitCode, Is.EqualTo(2));
        Assert.That(pipeline.Error.Trim(), Is.EqualTo("distil run: --mcp applies to a one-task run (--task); with --pipeline, give the task step \"tools\": {\"mcp\": [\"COMMAND ARGS\"]}."));
    }

    [Test]
    public async Task A_pipeline_files_tools_start_with_the_run_and_stop_when_it_ends()
    {
        var marker = "distil-mcp-file-" + Guid.NewGuid().ToString("N");
        Server.Reply = FakeReplies.Answering(_ => "42");
        // The server's path relative to the pipeline file, as the file's other paths.
        var script = Path.GetRelativePath(_temp.Path, EverythingServer.Script);
        var file = PipelineFile($$"""
            , "tools": { "mcp": [ { "command": {{JsonSerializer.Serialize($"node \"{script}\" stdio {marker}")}}, "tools": ["get-sum"] } ] }
            """);

        var check = await ChildProgram.Distil.RunAsync("check", file);
        // Run from elsewhere: the command still runs in the file's folder.
        using var run = ChildProgram.Distil.Start("run", "--pipeline", file);
        await run.Process.WaitForExitAsync();

        Assert.That(check.ExitCode, Is.Zero, check.Error);
        Assert.That(run.Process.ExitCode, Is.Zero, run.Error);
        Assert.That(run.Output, Does.Contain("step 'answer': tools get-sum from MCP server 'node "));
        Assert.That(EverythingServer.ProcessesWith(marker), Is.Empty, "the server stops when the run ends");
    }

    // Line 5 holds the task step, whose extra keys follow "concurrency": 1 (after "concurrency": 1).
    [TestCase("""
        , "tools": { "mpc": ["node server.js"] }
        """, "line 5, column 103: step 'answer' (task): \"tools\" has no key \"mpc\"; did you mean \"mcp\"?")]
    [TestCase("""
        , "tools": { "mcp": [ { "comand": "node server.js" } ] }
        """, "line 5, column 114: step 'answer' (task): \"tools\": \"mcp\" entry 1 has no key \"comand\"; did you mean \"command\"?")]
    [TestCase("""
        , "tools": { "mcp": [ { "command": "node server.js", "url": "http://127.0.0.1:1/mcp" } ] }
        """, "step 'answer': \"tools\": \"mcp\" entry 1 needs exactly one of \"command\" (a command line) and \"url\" (an http(s) URL).")]
    [TestCase("""
        , "tools": { "mcp": [ "node server.js", { "url": "ftp://tools.example/mcp" } ] }
        """, "step 'answer': \"tools\": \"mcp\" entry 2: \"url\" must be an http:// or https:// URL, not 'ftp://tools.example/mcp'; a command goes in \"command\".")]
    [TestCase("""
        , "tools": { "mcp": [ { "command": "node server.js", "tools": "get-sum" } ] }
        """, "step 'answer': \"tools\": \"mcp\" entry 1: \"tools\" must be a non-empty list of tool names, e.g. [\"get-sum\"].")]
    [TestCase("""
        , "tools": { "mcp": [ "node \"server.js" ] }
        """, "step 'answer': \"tools\": \"mcp\" entry 1: The command line node \"server.js opens a quote (\") at character 6 that is never closed.")]
    [TestCase("""
        , "tools": { "mcp": [] }
        """, "step 'answer': \"tools\": \"mcp\" must be a non-empty list of MCP servers")]
    [TestCase("""
        , "tools": { "mcp": [ 42 ] }
        """, "step 'answer': \"tools\": \"mcp\" entry 1 must be a command line, a URL, or an object with \"command\" or \"url\"; it is 42.")]
    public async Task Check_refuses_a_wrong_tools_key_with_where_it_is(string tools, string message)
    {
        var file = PipelineFile(tools);

        var check = await ChildProgram.Distil.RunAsync("check", file);

        Assert.That(check.ExitCode, Is.EqualTo(2));
        Assert.That(check.Error.Trim(), Does.StartWith($"distil check: {file}: {message}"));
    }

    [Test]
    public async Task The_schema_knows_the_tools_key()
    {
        using var child = ChildProgram.Distil.Start("schema");
        await child.Process.WaitForExitAsync();
        var schema = JsonSchema.FromText(child.Output);
        bool Valid(string tools) => schema.Evaluate(JsonDocument.Parse(File.ReadAllText(PipelineFile(tools))).RootElement).IsValid;

        Assert.That(Valid("""
            , "tools": { "mcp": [ "node server.js stdio", { "command": "node x.js", "tools": ["get-sum"] }, { "url": "http://127.0.0.1:3001/mcp" } ] }
            """), "the three forms of a server");
        Assert.That(Valid("""
            , "tools": { "mcp": [ { "comand": "node x.js" } ] }
            """), Is.False, "a misspelt key of a server");
        Assert.That(Valid("""
            , "tools": { "mpc": [] }
            """), Is.False, "a misspelt key of \"tools\"");
    }

    private string PipelineFile(string taskKeys)
    {
        var path = Path.Combine(_temp.Path, "pipeline.json");
        File.WriteAllText(path, $$"""
            {
              "name": "answers", "model": "{{Model}}", "run_dir": "run",
              "steps": [
                { "name": "questions", "load": "questions.jsonl" },
                { "name": "answer", "task": "text_generation", "after": "questions", "concurrency": 1{{taskKeys}} },
                { "name": "out", "write": "answers.jsonl", "after": "answer" }
              ]
            }
            """.ReplaceLineEndings("\n"));
        return path;
    }
}
