using System.Text.Json.Nodes;
using Distil.Cli;
using Distil.Pipelines;
using Distil.Tasks;
using Distil.Testing;
using Distil.Tests.Providers;
using Microsoft.Extensions.AI;
using NUnit.Framework;

namespace Distil.Tests.Tools;

/// <summary>
/// An APIGen-style function-calling dataset end to end, against an OpenAI-compatible server on
/// 127.0.0.1 as the model: <c>apigen_generator</c> writes queries with their expected calls, the
/// format check holds them against the tool definitions, the execution check runs them against
/// two C# tools, and <c>apigen_semantic_checker</c> judges what is left.
/// </summary>
public class ApiGenTests : FakeServerTests
{
    private string _work = null!;
    private int _divisions;

    [SetUp]
    public void CreateWorkFolder()
    {
        _work = Directory.CreateTempSubdirectory("distil-apigen-").FullName;
        _divisions = 0;
    }

    [TearDown]
    public void DeleteWorkFolder() => Directory.Delete(_work, recursive: true);

    private static PipelineRunOptions Quiet => new() { Progress = ProgressMode.None };

    private static readonly AIFunction Add = AIFunctionFactory.Create((int a, int b) => a + b, "add", "Adds two integers.");

    // Integer division: a zero divisor throws, as a real tool given a bad argument does.
    private AIFunction Divide() => AIFunctionFactory.Create((int a, int b) =>
    {
        Interlocked.Increment(ref _divisions);
        return a / b;
    }, "divide", "Divides an integer by another, rounding down.");

    // The tools column as a user makes it from the tools themselves: name, description, parameters.
    private static string Definitions(params AIFunction[] tools) => new JsonArray(tools.Select(t => (JsonNode)new JsonObject
    {
        ["name"] = t.Name,
        ["description"] = t.Description,
        ["parameters"] = JsonNode.Parse(t.JsonSchema.GetRawText()),
    }).ToArray()).ToJsonString();

    private const string ThreeQueries = """
        [{"query": "What is 17 plus 25?", "answers": [{"name": "add", "arguments": {"a": 17, "b": 25}}]},
         {"query": "Share 12 apples among 3 friends.", "answers": [{"name": "divide", "arguments": {"a": 12, "b": 3}}]},
         {"query": "Share 5 cakes among 0 friends.", "answers": [{"name": "divide", "arguments": {"a": 5, "b": 0}}]}]
        """;

    private const string BadlyFormedQueries = """
        [{"query": "What is 2 plus 3?", "answers": [{"name": "add", "arguments": {"a": 2, "b": 3}}]},
         {"query": "What is 6 times 7?", "answers": [{"name": "multiply", "arguments": {"a": 6, "b": 7}}]},
         {"query": "What is seventeen plus 25?", "answers": [{"name": "add", "arguments": {"a": "seventeen", "b": 25}}]},
         {"query": "Add 1 and 2 in base 3.", "answers": [{"name": "add", "arguments": {"a": 1, "b": 2, "base": 3}}]}]
        """;

    // The model: the generator's request gets `queries`; the judge passes every query but the apples one.
    private void Model(string queries) => Server.Reply = request =>
        request.LastMessage.Contains("Decide whether", StringComparison.Ordinal)
            ? new FakeReply.Answer(request.LastMessage.Contains("apples", StringComparison.Ordinal)
                ? """{"thought": "The request asks how to share apples; the call only divides numbers and says nothing of apples.", "keep_row_after_semantic_check": false}"""
                : """{"thought": "The call adds the two numbers the request gives.", "keep_row_after_semantic_check": true}""")
            : new FakeReply.Answer(queries);

    private async Task<List<JsonObject>> RunAsync(Func<StepHandle, StepHandle> checks)
    {
        var pipeline = Pipeline.Create("apigen");
        pipeline.RunDirectory = Path.Combine(_work, "run");
        var output = Path.Combine(_work, "out.jsonl");
        var generated = pipeline.Load([new JsonObject { ["tools"] = Definitions(Add, Divide()) }])
            .Then(new ApiGenGenerator { Llm = FakeServerClients.OpenAI(Server), Number = 3 })
            .ExpandColumns("query", "answers");
        checks(generated).Write(RowSinks.Jsonl(output));
        await pipeline.RunAsync(Quiet);
        return File.ReadAllLines(output).Select(l => JsonNode.Parse(l)!.AsObject()).ToList();
    }

    private static List<string?> Queries(IEnumerable<JsonObject> rows) => rows.Select(r => (string?)r["query"]).ToList();

    [Test]
    public async Task The_execution_check_drops_the_planted_failing_call_and_keeps_the_others_with_their_real_results()
    {
        Model(ThreeQueries);

        var rows = await RunAsync(generated => generated
            .ApiGenFormatCheck(keepOnlyPassing: true)
            .ApiGenExecutionCheck([Add, Divide()], keepOnlyPassing: true));

        Assert.That(Queries(rows), Is.EqualTo(new[] { "What is 17 plus 25?", "Share 12 apples among 3 friends." }), "the call dividing by zero is dropped");
        Assert.That(rows.Select(r => r["execution_result"]!.ToJsonString()), Is.EqualTo(new[] { """["42"]""", """["4"]""" }), "what the tools returned");
        Assert.That(rows.Select(r => (bool?)r["keep_row_after_execution_check"]), Has.All.True);
        Assert.That(rows.Select(r => r["execution_check_reason"]), Has.All.Null);
        Assert.That(_divisions, Is.EqualTo(2), "both divisions ran, the planted one too");
    }

    [Test]
    public async Task Without_keep_only_the_failing_row_is_kept_flagged_with_the_tools_error()
    {
        Model(ThreeQueries);

        var rows = await RunAsync(generated => generated.ApiGenExecutionCheck([Add, Divide()]));

        Assert.That(rows.Select(r => (bool?)r["keep_row_after_execution_check"]), Is.EqualTo(new bool?[] { true, true, false }));
        var failed = rows[2];
        Assert.That((string?)failed["execution_check_reason"], Is.EqualTo("call 1 ('divide') failed: DivideByZeroException: Attempted to divide by zero."));
        Assert.That(failed["execution_result"]!.ToJsonString(), Is.EqualTo("""["DivideByZeroException: Attempted to divide by zero."]"""));
    }

    [Test]
    public async Task The_format_check_flags_an_unknown_tool_a_wrong_argument_type_and_an_unknown_argument_with_their_reasons()
    {
        Model(BadlyFormedQueries);

        var rows = await RunAsync(generated => generated.ApiGenFormatCheck());

        Assert.That(rows.Select(r => (bool?)r["keep_row_after_format_check"]), Is.EqualTo(new bool?[] { true, false, false, false }));
        Assert.That(rows.Select(r => (string?)r["format_check_reason"]), Is.EqualTo(new[]
        {
            null,
            "the call names the tool 'multiply', which is not one of the row's tools (add, divide)",
            "the call to 'add' gives 'a' the value \"seventeen\", which is not of type integer",
            "the call to 'add' has the argument 'base', which its schema does not list (it lists a, b)",
        }));
    }

    [Test]
    public async Task With_keep_only_the_format_check_drops_the_bad_calls_before_any_runs()
    {
        Model(BadlyFormedQueries);

        var rows = await RunAsync(generated => generated
            .ApiGenFormatCheck(keepOnlyPassing: true)
            .ApiGenExecutionCheck([Add, Divide()], keepOnlyPassing: true));

        Assert.That(Queries(rows), Is.EqualTo(new[] { "What is 2 plus 3?" }));
        Assert.That(rows[0]["execution_result"]!.ToJsonString(), Is.EqualTo("""["5"]"""));
    }

    [Test]
    public async Task The_semantic_checker_judges_the_executed_calls_with_a_verdict_and_its_reason()
    {
        Model(ThreeQueries);

        var rows = await RunAsync(generated => generated
            .ApiGenExecutionCheck([Add, Divide()], keepOnlyPassing: true)
            .Then(new ApiGenSemanticChecker { Llm = FakeServerClients.OpenAI(Server) }));

        Assert.That(rows.Select(r => (bool?)r["keep_row_after_semantic_check"]), Is.EqualTo(new bool?[] { true, false }));
        Assert.That((string?)rows[1]["thought"], Does.StartWith("The request asks how to share apples"));
        var judged = Server.Requests.Where(r => r.LastMessage.Contains("Decide whether", StringComparison.Ordinal)).Select(r => r.LastMessage).ToList();
        Assert.That(judged, Has.Count.EqualTo(2), "the dropped row is not judged");
        Assert.That(judged[0], Does.Contain("What is 17 plus 25?").And.Contain("- 42"), "the judge sees the query and what the call returned");
    }

    [Test]
    public async Task A_pipeline_file_runs_the_format_check_with_its_options()
    {
        var tools = Definitions(Add, Divide());
        File.WriteAllLines(Path.Combine(_work, "calls.jsonl"),
        [
            new JsonObject { ["defs"] = tools, ["calls"] = """[{"name": "add", "arguments": {"a": 1, "b": 2}}]""" }.ToJsonString(),
            new JsonObject { ["defs"] = tools, ["calls"] = """[{"name": "add", "arguments": {"a": 1}}]""" }.ToJsonString(),
        ]);
        var file = Path.Combine(_work, "pipeline.json");
        File.WriteAllText(file, """
            {
              "name": "apigen-file",
              "steps": [
                { "name": "calls", "load": "calls.jsonl" },
                { "name": "format", "apigen_format_check": { "tools": "defs", "answers": "calls", "keep_only_passing": true }, "after": "calls" },
                { "name": "out", "write": "out.jsonl", "after": "format" }
              ]
            }
            """);

        var pipeline = PipelineFile.Load(file, null, Path.Combine(_work, "run"), _ => throw new AssertionException("no task here"));
        await pipeline.RunAsync(Quiet);

        var rows = File.ReadAllLines(Path.Combine(_work, "out.jsonl")).Select(l => JsonNode.Parse(l)!.AsObject()).ToList();
        Assert.That(rows.Select(r => (string?)r["calls"]), Is.EqualTo(new[] { """[{"name": "add", "arguments": {"a": 1, "b": 2}}]""" }), "the call lacking 'b' is dropped");
        Assert.That((bool?)rows[0]["keep_row_after_format_check"], Is.True);
    }
}
