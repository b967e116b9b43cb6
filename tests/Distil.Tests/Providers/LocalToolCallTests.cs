using System.Text.Json;
using System.Text.Json.Nodes;
using Distil.LlamaSharp;
using Distil.Tasks;
using Distil.Tests.Support;
using Json.Schema;
using Microsoft.Extensions.AI;
using NUnit.Framework;

namespace Distil.Tests.Providers;

/// <summary>
/// Tool calls from a local model (the real tiny model, random weights): decoded under the grammar
/// of the request's tools, so even a model that knows nothing calls a declared tool with
/// arguments that fit its schema, and the answer carries the call for the tool loop to run.
/// </summary>
public class LocalToolCallTests
{
    private enum Unit { Celsius, Fahrenheit }

    private static readonly AIFunction Add = AIFunctionFactory.Create((int a, int b) => a + b, "add", "Adds two integers.");

    private static readonly AIFunction Weather = AIFunctionFactory.Create(
        (string city, Unit unit, bool? detailed, string[]? days) => $"Sunny in {city}", "weather", "Today's weather in a city.");

    [TestCase(1)]
    [TestCase(2)]
    [TestCase(3)]
    [TestCase(4)]
    [TestCase(5)]
    public async Task With_ToolMode_RequireAny_the_answer_is_a_well_formed_call_of_a_declared_tool_whose_arguments_fit_its_schema(int seed)
    {
        using var llm = LocalChatClient.Load(TestModel.Path, contextSize: 1024);
        var tools = new[] { Add, Weather };
        var options = new ChatOptions { Tools = [.. tools], ToolMode = ChatToolMode.RequireAny, Seed = seed, Temperature = 1.0f, MaxOutputTokens = 400 };

        var response = await llm.GetResponseAsync("What is 17 + 25, and is it sunny in Lyon?", options);

        var call = response.Messages.SelectMany(m => m.Contents).OfType<FunctionCallContent>().SingleOrDefault();
        Assert.That(call, Is.Not.Null, $"no call in: {response.Text}");
        Assert.That(response.FinishReason, Is.EqualTo(ChatFinishReason.ToolCalls));
        Assert.That(call!.CallId, Does.Match("^call_[0-9a-f]{16}$"));
        var tool = tools.SingleOrDefault(t => t.Name == call.Name);
        Assert.That(tool, Is.Not.Null, $"'{call.Name}' is not a declared tool");
        var arguments = JsonSerializer.SerializeToElement(call.Arguments, AIJsonUtilities.DefaultOptions);
        var schema = JsonSchema.FromText(tool!.JsonSchema.GetRawText());
        TestContext.Out.WriteLine($"{call.Name}: {arguments.GetRawText()}");
        var result = schema.Evaluate(arguments, new EvaluationOptions { OutputFormat = OutputFormat.List });
        Assert.That(result.IsValid, $"arguments {arguments.GetRawText()} do not fit {tool.JsonSchema.GetRawText()}");
    }

    // Auto: the grammar allows a call or the task's own answer (its structured output grammar,
    // its rules renamed to sit beside the call's); either way the answer is one of the two.
    [TestCase(1)]
    [TestCase(2)]
    [TestCase(3)]
    public async Task With_ToolMode_Auto_and_a_task_grammar_the_answer_is_a_call_or_fits_the_task_schema(int seed)
    {
        using var llm = LocalChatClient.Load(TestModel.Path, contextSize: 1024);
        var task = new Distil.Quickstart.ReviewSummary();
        var options = new ChatOptions
        {
            Tools = [Add], ToolMode = ChatToolMode.Auto, Seed = seed, Temperature = 1.0f, MaxOutputTokens = 400,
            AdditionalProperties = new() { [ChatOptionsKeys.Grammar] = task.StructuredOutputGrammar },
        };

        var response = await llm.GetResponseAsync("Summarize: it works.", options);

        var call = response.Messages.SelectMany(m => m.Contents).OfType<FunctionCallContent>().SingleOrDefault();
        if (call is not null)
        {
            Assert.That(call.Name, Is.EqualTo("add"));
            return;
        }
        var schema = JsonSchema.FromText(task.StructuredOutputSchema);
        Assert.That(schema.Evaluate(JsonDocument.Parse(response.Text).RootElement).IsValid, $"neither a call nor the task's answer: {response.Text}");
    }

    [Test]
    public async Task A_required_tool_by_name_is_the_one_called()
    {
        using var llm = LocalChatClient.Load(TestModel.Path, contextSize: 1024);
        var options = new ChatOptions { Tools = [Add, Weather], ToolMode = ChatToolMode.RequireSpecific("weather"), Seed = 9, MaxOutputTokens = 400 };

        var response = await llm.GetResponseAsync("Weather?", options);

        Assert.That(response.Messages.SelectMany(m => m.Contents).OfType<FunctionCallContent>().Single().Name, Is.EqualTo("weather"));
    }

    [Test]
    public async Task With_ToolMode_None_the_tools_are_not_offered_and_the_answer_is_text()
    {
        using var llm = LocalChatClient.Load(TestModel.Path, contextSize: 1024);
        var options = new ChatOptions { Tools = [Add], ToolMode = ChatToolMode.None, Seed = 1, MaxOutputTokens = 16 };

        var response = await llm.GetResponseAsync("Hello", options);

        Assert.That(response.Messages.SelectMany(m => m.Contents).OfType<FunctionCallContent>(), Is.Empty);
    }

    [Test]
    public async Task The_tool_loop_runs_the_call_a_local_model_makes()
    {
        using var llm = LocalChatClient.Load(TestModel.Path, contextSize: 2048);
        var task = new TextGeneration
        {
            Name = "answer",
            Llm = llm,
            GenerationOptions = new ChatOptions { ToolMode = ChatToolMode.RequireAny, Seed = 2, MaxOutputTokens = 200 },
            ToolOptions = new() { MaxToolRounds = 1 },
        };
        task.Tools.Add(Add);

        var row = (await task.ProcessRowAsync(new JsonObject { ["instruction"] = "What is 17 + 25?" })).Single();

        var trajectory = row["tool_trajectory_answer"]!.AsArray();
        var call = trajectory.First(e => (string?)e!["role"] == "assistant")!;
        Assert.That((string?)call["tool_name"], Is.EqualTo("add"));
        var arguments = JsonNode.Parse((string)call["arguments"]!)!;
        var result = trajectory.First(e => (string?)e!["role"] == "tool")!;
        Assert.That((string?)result["tool_call_id"], Is.EqualTo((string?)call["tool_call_id"]));
        Assert.That((string?)result["result"], Is.EqualTo(((long)arguments["a"]! + (long)arguments["b"]!).ToString(System.Globalization.CultureInfo.InvariantCulture)),
            "the loop ran the call with the arguments the model decoded");
    }
}
