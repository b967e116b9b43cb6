using System.Text.Json.Nodes;
using Distil.Cli;
using Distil.Pipelines;
using Distil.Tasks;
using Distil.Testing;
using Distil.Tests.Providers;
using Distil.Tests.Support;
using Microsoft.Extensions.AI;
using NUnit.Framework;

namespace Distil.Tests.Tools;

/// <summary>
/// <c>FormatTools</c>: a task runs its tools against an OpenAI-compatible server on 127.0.0.1, and
/// its conversations are written as OpenAI's fine-tuning format with tools (JSON Lines, checked
/// field by field) and as the Hugging Face layout (Parquet, read typed by DuckDB).
/// </summary>
public class ToolExportTests : FakeServerTests
{
    private string _work = null!;

    [SetUp]
    public void CreateWorkFolder() => _work = Directory.CreateTempSubdirectory("distil-tool-export-").FullName;

    [TearDown]
    public void DeleteWorkFolder() => Directory.Delete(_work, recursive: true);

    private static readonly AIFunction Add = AIFunctionFactory.Create((int a, int b) => a + b, "add", "Adds two integers.");

    private static readonly AIFunction Now = AIFunctionFactory.Create(string () => throw new InvalidOperationException("no clock"), "now", "The time.");

    // The model asks for two calls in one turn, then answers; the question "fail" gets no answer.
    private void ModelCallsTwoToolsThenAnswers() =>
        Server.Reply = request => request.ToolResults.Count == 0
            ? new FakeReply.ToolCalls([new FakeToolCall("c1", "add", """{"a":17,"b":25}"""), new FakeToolCall("c2", "now", "{}")])
            : new FakeReply.Answer("The sum of 17 and 25 is 42.");

    private Pipeline Conversations(string path, ToolExportFormat format)
    {
        var task = new TextGeneration { Name = "answer", Llm = FakeServerClients.OpenAI(Server) };
        task.Tools.Add(Add);
        task.Tools.Add(Now);
        var pipeline = Pipeline.Create("tool-export");
        pipeline.RunDirectory = Path.Combine(_work, "run");
        pipeline.Load(Enumerable.Range(0, 2).Select(i => new JsonObject { ["instruction"] = $"What is 17 + 25? ({i})" }))
            .Then(task)
            .FormatTools(task: "answer", format: format)
            .KeepColumns("messages", "tools")
            .Write(path);
        return pipeline;
    }

    [Test]
    public async Task The_OpenAI_format_has_one_example_a_line_with_tool_calls_arguments_as_JSON_text_tool_results_and_the_tools()
    {
        ModelCallsTwoToolsThenAnswers();
        var jsonl = Path.Combine(_work, "ft.jsonl");

        await Conversations(jsonl, ToolExportFormat.OpenAI).RunAsync(new PipelineRunOptions { Progress = ProgressMode.None });

        var lines = File.ReadAllLines(jsonl);
        Assert.That(lines, Has.Length.EqualTo(2), "one line per example");
        foreach (var line in lines)
        {
            var example = JsonNode.Parse(line)!.AsObject();
            Assert.That(example.Select(p => p.Key), Is.EquivalentTo(new[] { "messages", "tools" }));
            var messages = example["messages"]!.AsArray();
            Assert.That(messages.Select(m => (string?)m!["role"]), Is.EqualTo(new[] { "user", "assistant", "tool", "tool", "assistant" }));
            Assert.That((string?)messages[0]!["content"], Does.StartWith("What is 17 + 25?"));

            var calls = messages[1]!["tool_calls"]!.AsArray();
            Assert.That(calls, Has.Count.EqualTo(2), "one assistant turn with both calls");
            Assert.That(calls[0]!.AsObject().Select(p => p.Key), Is.EquivalentTo(new[] { "id", "type", "function" }));
            Assert.That((string?)calls[0]!["id"], Is.EqualTo("c1"));
            Assert.That((string?)calls[0]!["type"], Is.EqualTo("function"));
            Assert.That((string?)calls[0]!["function"]!["name"], Is.EqualTo("add"));
            Assert.That(calls[0]!["function"]!["arguments"]!.GetValueKind(), Is.EqualTo(System.Text.Json.JsonValueKind.String), "arguments are JSON text");
            Assert.That(JsonNode.Parse((string)calls[0]!["function"]!["arguments"]!)!.ToJsonString(), Is.EqualTo("""{"a":17,"b":25}"""));
            Assert.That((string?)calls[1]!["function"]!["name"], Is.EqualTo("now"));
            Assert.That((string?)calls[1]!["function"]!["arguments"], Is.EqualTo("{}"));

            Assert.That(messages[2]!.AsObject().Select(p => p.Key), Is.EquivalentTo(new[] { "role", "tool_call_id", "content" }));
            Assert.That((string?)messages[2]!["tool_call_id"], Is.EqualTo("c1"));
            Assert.That((string?)messages[2]!["content"], Is.EqualTo("42"));
            Assert.That((string?)messages[3]!["tool_call_id"], Is.EqualTo("c2"));
            Assert.That((string?)messages[3]!["content"], Is.EqualTo("Error: The tool 'now' failed: InvalidOperationException: no clock"), "the error as the model was told it");
            Assert.That((string?)messages[4]!["content"], Is.EqualTo("The sum of 17 and 25 is 42."));
            Assert.That(messages[4]!["tool_calls"], Is.Null);

            var tools = example["tools"]!.AsArray();
            Assert.That(tools.Select(t => (string?)t!["type"]), Is.EqualTo(new[] { "function", "function" }));
            var add = tools[0]!["function"]!;
            Assert.That((string?)add["name"], Is.EqualTo("add"));
            Assert.That((string?)add["description"], Is.EqualTo("Adds two integers."));
            Assert.That((string?)add["parameters"]!["type"], Is.EqualTo("object"), "parameters is the JSON schema, an object");
            Assert.That((string?)add["parameters"]!["properties"]!["a"]!["type"], Is.EqualTo("integer"));
            Assert.That((string?)tools[1]!["function"]!["name"], Is.EqualTo("now"));
        }
    }

    [Test]
    public async Task The_Hugging_Face_layout_in_Parquet_is_read_by_DuckDB_as_typed_lists_of_structs()
    {
        ModelCallsTwoToolsThenAnswers();
        var parquet = Path.Combine(_work, "ft.parquet");
        var jsonl = Path.Combine(_work, "ft-hf.jsonl");

        await Conversations(parquet, ToolExportFormat.HuggingFace).RunAsync(new PipelineRunOptions { Progress = ProgressMode.None });

        var types = Duck.Describe(parquet);
        Assert.That(types["messages"], Is.EqualTo(
            "STRUCT(role VARCHAR, content VARCHAR, tool_calls STRUCT(id VARCHAR, type VARCHAR, function STRUCT(name VARCHAR, arguments VARCHAR))[], tool_call_id VARCHAR, name VARCHAR)[]"));
        Assert.That(types["tools"], Is.EqualTo("STRUCT(type VARCHAR, function STRUCT(name VARCHAR, description VARCHAR, parameters VARCHAR))[]"));
        Assert.That(Duck.Scalar($"SELECT count(*) FROM '{parquet}'"), Is.EqualTo(2L));
        Assert.That(Duck.Scalar($"SELECT messages[2].tool_calls[1].function.name FROM '{parquet}' LIMIT 1"), Is.EqualTo("add"));
        Assert.That(Duck.Scalar($"SELECT CAST(json_extract(messages[2].tool_calls[1].function.arguments, '$.b') AS INTEGER) FROM '{parquet}' LIMIT 1"), Is.EqualTo(25));
        Assert.That(Duck.Scalar($"SELECT messages[3].name || '=' || messages[3].content FROM '{parquet}' LIMIT 1"), Is.EqualTo("add=42"));
        Assert.That(Duck.Scalar($"SELECT json_extract_string(tools[1].function.parameters, '$.properties.a.type') FROM '{parquet}' LIMIT 1"), Is.EqualTo("integer"));

        // The same layout in JSON Lines: arguments and parameters are objects, as chat templates read them.
        await Conversations(jsonl, ToolExportFormat.HuggingFace).RunAsync(new PipelineRunOptions { Progress = ProgressMode.None });
        var example = JsonNode.Parse(File.ReadLines(jsonl).First())!;
        var call = example["messages"]![1]!["tool_calls"]![0]!;
        Assert.That(call["function"]!["arguments"]!.ToJsonString(), Is.EqualTo("""{"a":17,"b":25}"""));
        Assert.That((string?)example["messages"]![2]!["name"], Is.EqualTo("add"));
        Assert.That(example["tools"]![0]!["function"]!["parameters"]!.GetValueKind(), Is.EqualTo(System.Text.Json.JsonValueKind.Object));
    }

    [Test]
    public async Task A_row_whose_generation_failed_has_no_final_answer_and_is_left_out()
    {
        // The question (1) never gets an answer: the model asks for tools until its rounds run out.
        Server.Reply = request => request.ToolResults.Count == 0 || request.Body["messages"]![0]!.ToJsonString().Contains("(1)")
            ? new FakeReply.ToolCalls([new FakeToolCall("c1", "add", """{"a":1,"b":2}""")])
            : new FakeReply.Answer("3");
        var jsonl = Path.Combine(_work, "ft.jsonl");
        var pipeline = Conversations(jsonl, ToolExportFormat.OpenAI);

        await pipeline.RunAsync(new PipelineRunOptions { Progress = ProgressMode.None });

        var lines = File.ReadAllLines(jsonl);
        Assert.That(lines, Has.Length.EqualTo(1));
        Assert.That((string?)JsonNode.Parse(lines[0])!["messages"]![0]!["content"], Does.Contain("(0)"));
    }

    [Test]
    public void A_task_name_the_pipeline_does_not_have_is_refused_naming_the_task_steps_it_has()
    {
        var task = new TextGeneration { Name = "answer", Llm = FakeServerClients.OpenAI(Server) };
        var step = Pipeline.Create("p").Load([new JsonObject { ["instruction"] = "x" }]).Then(task);

        var error = Assert.Throws<ArgumentException>(() => step.FormatTools(task: "anwser"));

        Assert.That(error!.Message, Does.Contain("no task step named 'anwser'").And.Contain("'answer'"));
    }

    [TestCase("""{ "task": "answer", "format": "csv" }""", "step 'ft' (format_tools): \"format\" is \"csv\"; use \"openai\" or \"huggingface\".")]
    [TestCase("""{ "task": "anwser" }""", "step 'ft' (format_tools): the pipeline has no task step named 'anwser'; its task steps are 'answer'.")]
    [TestCase("""{ "format": "openai" }""", "step 'ft' (format_tools): \"task\" is required: the name of the task step whose tool conversations to export.")]
    public void A_pipeline_file_format_tools_step_is_read_strictly(string options, string message)
    {
        File.WriteAllLines(Path.Combine(_work, "questions.jsonl"), ["""{"instruction": "What is 17 + 25?"}"""]);
        var file = Path.Combine(_work, "pipeline.json");
        File.WriteAllText(file, $$"""
            { "name": "ft", "steps": [
              { "name": "questions", "load": "questions.jsonl" },
              { "name": "answer", "task": "text_generation", "after": "questions" },
              { "name": "ft", "format_tools": {{options}}, "after": "answer" },
              { "name": "out", "write": "out.jsonl", "after": "ft" } ] }
            """);

        var error = Assert.Throws<UsageException>(() => PipelineFile.Load(file, "openai:fake", Path.Combine(_work, "run"), _ => FakeServerClients.OpenAI(Server)))!;

        Assert.That(error.Message, Is.EqualTo($"distil run: {file}: {message}"));
    }
}
