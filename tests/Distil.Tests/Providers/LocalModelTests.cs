using System.Text.Json;
using System.Text.Json.Nodes;
using Distil.LlamaSharp;
using Distil.Quickstart;
using Distil.Tests.Support;
using Json.Schema;
using Microsoft.Extensions.AI;
using NUnit.Framework;

namespace Distil.Tests.Providers;

/// <summary>The in-process provider with the real tiny model: structured output, sharing, errors.</summary>
public class LocalModelTests
{
    private static JsonObject Review(int i) => new()
    {
        ["product"] = $"Product {i}",
        ["review"] = $"Review number {i}: it works, mostly.",
        ["max_words"] = 10 + i,
        ["tags"] = new JsonArray("a", "b"),
    };

    [Test]
    public async Task The_quickstart_task_with_structured_output_parses_on_every_row()
    {
        using var llm = new ChatClientFactory { Resilience = null }.AddLocalModels(contextSize: 1024, maxParallelRequests: 2)
            .Create($"local:{TestModel.Path}");
        var task = new ReviewSummary
        {
            Llm = llm,
            UseDefaultStructuredOutput = true,
            NumGenerations = 2,
            MaxConcurrency = 2,
            GenerationOptions = new ChatOptions { MaxOutputTokens = 400, Temperature = 1.0f, Seed = 3 },
        };
        var schema = JsonSchema.FromText(new ReviewSummary().StructuredOutputSchema);

        var rows = await task.ProcessAsync(Enumerable.Range(0, 6).Select(Review)).ToListAsync();

        Assert.That(rows, Has.Count.EqualTo(12));
        foreach (var row in rows)
        {
            var raw = (string?)row["distilabel_metadata"]!["raw_output_review_summary"];
            Assert.That(row["summary"], Is.Not.Null, $"unparsed answer: {raw}");
            Assert.That(row["sentiment"], Is.Not.Null, $"unparsed answer: {raw}");
            Assert.That(schema.Evaluate(JsonDocument.Parse(raw!).RootElement).IsValid, $"answer off the schema: {raw}");
            Assert.That(((string?)row["summary"])!.Length, Is.LessThanOrEqualTo(80), "the grammar bounds the string by [MaxLength]");
        }
        Assert.That(rows.Select(r => (string?)r["summary"]).Distinct().Count(), Is.GreaterThan(1), "generations differ");
    }

    // Every shape the grammar writer knows: enums, nested and nullable records, lists of lists,
    // nullable numbers, every integer width used here.
    private static IEnumerable<TestCaseData> Grammars()
    {
        yield return new TestCaseData(new Distil.Tests.Tasks.ReviewTask().StructuredOutputGrammar).SetName("Grammar_of_ReviewTask");
        yield return new TestCaseData(new Distil.Tests.Tasks.GuidedReview().StructuredOutputGrammar).SetName("Grammar_of_GuidedReview");
        yield return new TestCaseData(new Distil.Tests.Tasks.QualityScorer().StructuredOutputGrammar).SetName("Grammar_of_QualityScorer");
        yield return new TestCaseData(new Distil.Tests.Tasks.SummaryTask().StructuredOutputGrammar).SetName("Grammar_of_SummaryTask");
        yield return new TestCaseData(new ReviewSummary().StructuredOutputGrammar).SetName("Grammar_of_ReviewSummary");
    }

    [TestCaseSource(nameof(Grammars))]
    public async Task Generated_grammars_are_accepted_by_llama_cpp(string grammar)
    {
        using var llm = LocalChatClient.Load(TestModel.Path, contextSize: 512);
        var options = new ChatOptions { MaxOutputTokens = 24, Seed = 5, AdditionalProperties = new() { [ChatOptionsKeys.Grammar] = grammar } };

        var response = await llm.GetResponseAsync("Answer in JSON.", options);

        Assert.That(response.Text, Does.StartWith("{"), "decoding followed the grammar from its first token");
    }

    // llama.cpp aborts the process on a grammar it cannot parse: these must be refused before.
    [TestCase("root ::= (\"{\"", "line 1: '(' is not closed")]
    [TestCase("root ::= \"{", "line 1: a string is not closed")]
    [TestCase("root ::= [a-z", "line 1: a character class is not closed")]
    [TestCase("root ::= item\nitem ::= other", "line 2: rule 'other' is used but not defined")]
    [TestCase("start ::= \"x\"", "no rule 'root'")]
    [TestCase("root ::= \"x\" )", "line 1: ')' closes nothing")]
    [TestCase("root ::= \"x\"{a}", "line 1: '{' does not start a repetition")]
    [TestCase("root ::= * \"x\"", "line 1: '*' follows nothing")]
    public void A_malformed_grammar_is_refused_with_its_line(string grammar, string expected)
    {
        using var llm = LocalChatClient.Load(TestModel.Path, contextSize: 512);
        var options = new ChatOptions { MaxOutputTokens = 4, AdditionalProperties = new() { [ChatOptionsKeys.Grammar] = grammar } };

        Assert.That(async () => await llm.GetResponseAsync("hi", options),
            Throws.ArgumentException.With.Message.Contains(expected));
    }

    [Test]
    public async Task Clients_of_one_file_share_its_weights_and_outlive_each_other()
    {
        var first = LocalChatClient.Load(TestModel.Path, contextSize: 256);
        using var second = LocalChatClient.Load(TestModel.Path, contextSize: 256);
        first.Dispose();

        var response = await second.GetResponseAsync("hello", new ChatOptions { MaxOutputTokens = 4, Seed = 1 });

        Assert.That(response.Usage?.OutputTokenCount, Is.InRange(1, 4));
        Assert.That(response.ModelId, Is.EqualTo(second.ModelName));
    }

    [Test]
    public void Local_models_get_no_retries_or_attempt_timeout_from_the_factory()
    {
        using var llm = new ChatClientFactory().AddLocalModels(contextSize: 256).Create($"local:{TestModel.Path}");

        Assert.That(llm.GetService<ResilientChatClient>(), Is.Null, "a request queued for a slot must not time out");
        Assert.That(llm.GetService<LocalChatClient>(), Is.Not.Null);
    }

    [Test]
    public void A_missing_model_file_names_the_path()
    {
        var factory = new ChatClientFactory().AddLocalModels();

        Assert.That(() => factory.Create("local:no/such/model.gguf"),
            Throws.TypeOf<ModelSpecException>().With.Message.Contains(Path.GetFullPath("no/such/model.gguf")));
    }

    [Test]
    public void A_schema_without_a_grammar_is_refused_rather_than_ignored()
    {
        using var llm = LocalChatClient.Load(TestModel.Path, contextSize: 256);
        var options = new ChatOptions { ResponseFormat = ChatResponseFormat.ForJsonSchema(JsonDocument.Parse(new ReviewSummary().StructuredOutputSchema).RootElement) };

        Assert.That(async () => await llm.GetResponseAsync("hi", options),
            Throws.TypeOf<NotSupportedException>().With.Message.Contains(ChatOptionsKeys.Grammar));
    }
}
