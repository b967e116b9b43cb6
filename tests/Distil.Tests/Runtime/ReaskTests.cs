using System.Text.Json;
using System.Text.Json.Nodes;
using Distil.OpenAI;
using Distil.Pipelines;
using Distil.Tasks;
using Distil.Testing;
using Distil.Tests.Support;
using Distil.Tests.Tasks;
using QualityScorer = Distil.Tasks.QualityScorer;
using Microsoft.Extensions.AI;
using NUnit.Framework;

namespace Distil.Tests.Runtime;

/// <summary>
/// Answers that fit: an answer that cannot be read or breaks a rule is asked again (Reasks), and
/// rules that depend on the row ([SameCountAs]) reach the schema and grammar sent with that row.
/// </summary>
public class ReaskTests
{
    private const string Good = """{"summary":"short","word_count":1}""";

    private static JsonObject Row() => Rows.Parse("""{"title":"Dune","max_words":20,"key_points":["a"]}""");

    [Test]
    public async Task An_unreadable_answer_is_asked_again_with_what_was_wrong_and_the_second_is_kept()
    {
        var llm = new ScriptedChatClient()
            .OnCall(0, _ => ScriptedChatClient.Answer("Sure! Here is a summary of Dune.", 10, 5))
            .Otherwise(_ => ScriptedChatClient.Answer(Good, 30, 6));
        var task = new SummaryTask { Llm = llm, Reasks = 2, UseDefaultStructuredOutput = true };

        var row = (await task.ProcessAsync([Row()]).ToListAsync()).Single();

        Assert.That((string?)row["summary"], Is.EqualTo("short"));
        Assert.That(llm.Requests, Has.Count.EqualTo(2));
        var followUp = llm.Requests[1].Messages;
        Assert.That(followUp[^2].Role, Is.EqualTo(ChatRole.Assistant));
        Assert.That(followUp[^2].Text, Is.EqualTo("Sure! Here is a summary of Dune."), "the model sees its own answer");
        Assert.That(followUp[^1].Text, Does.Contain("could not be read as a JSON object").And.Contain("summary, word_count"), "the turn names the problem");
        Assert.That(followUp.Take(followUp.Count - 2).Select(m => m.Text), Is.EqualTo(llm.Requests[0].Messages.Select(m => m.Text)), "the same conversation, continued");

        var metadata = row["distilabel_metadata"]!;
        Assert.That((int?)metadata["reasks_summary"], Is.EqualTo(1));
        Assert.That(metadata["raw_outputs_summary"]!.AsArray().Select(a => (string?)a), Is.EqualTo(new[] { "Sure! Here is a summary of Dune.", Good }));
        Assert.That((string?)metadata["raw_output_summary"], Is.EqualTo(Good));
        Assert.That(metadata["statistics_summary"]!.ToJsonString(), Is.EqualTo("""{"input_tokens":40,"output_tokens":11}"""), "tokens of both attempts");
    }

    [Test]
    public async Task Against_the_fake_OpenAI_server_a_reask_goes_over_HTTP_with_the_whole_conversation()
    {
        await using var server = await FakeOpenAIServer.StartAsync();
        server.Reply = FakeReplies.Answering(r => r.Index == 0 ? "I think it is short." : Good);
        using var llm = new ChatClientFactory { Environment = _ => null }.AddOpenAI().Create($"endpoint:{server.BaseUrl}#served-model");
        var task = new SummaryTask { Llm = llm, Reasks = 1 };

        var result = (await task.RunAsync([new SummaryTask.Input("Dune", 20, ["a"])]).ToListAsync()).Single();

        Assert.That(result.Output!.Summary, Is.EqualTo("short"));
        Assert.That(server.Requests, Has.Count.EqualTo(2));
        var messages = server.Requests[1].Body["messages"]!.AsArray();
        Assert.That(messages.Select(m => (string?)m!["role"]), Is.EqualTo(new[] { "system", "user", "assistant", "user" }));
        Assert.That(server.Requests[1].LastMessage, Does.Contain("could not be read"));
        Assert.That(result.Generations[0].EarlierAnswers, Is.EqualTo(new[] { "I think it is short." }));
    }

    [Test]
    public async Task Reasks_stop_at_N_and_the_row_keeps_every_answer_and_null_outputs()
    {
        var llm = new ScriptedChatClient(r => ScriptedChatClient.Answer($"no json {r.CallNumber}", 5, 1));
        var task = new SummaryTask { Llm = llm, Reasks = 2 };

        var row = (await task.ProcessAsync([Row()]).ToListAsync()).Single();

        Assert.That(llm.Requests, Has.Count.EqualTo(3), "the first ask and two re-asks");
        Assert.That(row["summary"], Is.Null);
        var metadata = row["distilabel_metadata"]!;
        Assert.That((int?)metadata["reasks_summary"], Is.EqualTo(2));
        Assert.That(metadata["raw_outputs_summary"]!.AsArray().Select(a => (string?)a), Is.EqualTo(new[] { "no json 0", "no json 1", "no json 2" }));
        Assert.That((long?)metadata["statistics_summary"]!["input_tokens"], Is.EqualTo(15));
        Assert.That(llm.Requests[2].Messages.Count(m => m.Role == ChatRole.Assistant), Is.EqualTo(1),
            "each re-ask continues the first conversation with the last answer only");
    }

    [Test]
    public async Task The_run_summary_counts_first_try_fits_reasks_repairs_and_losses()
    {
        // Row 0 fits at once, row 1 is mended ("four"), row 2 fits when asked again, row 3 never does.
        static bool About(ScriptedRequest r, string row) => r.Messages[1].Text.Contains(row);
        var llm = new ScriptedChatClient(r => ScriptedChatClient.Answer(
            About(r, "row 0") ? Good
            : About(r, "row 1") ? """{"summary":"s","word_count":"four"}"""
            : About(r, "row 2") && r.Messages.Count > 2 ? Good
            : "no json"));
        var logger = new ListLogger();
        var task = new SummaryTask { Llm = llm, Reasks = 1, Logger = logger };

        await task.RunAsync(Enumerable.Range(0, 4).Select(i => new SummaryTask.Input($"row {i}", 5, []))).ToListAsync();

        Assert.That(logger.Entries.Select(e => e.Message), Has.Some.EqualTo(
            "Task 'summary' answers: 2 fit at the first try, 2 asked again (1 then fit), 1 mended in reading, 1 lost to misfits."));
    }

    [Test]
    public async Task Without_reasks_nothing_is_asked_twice_and_the_metadata_has_no_reask_keys()
    {
        var llm = new ScriptedChatClient(_ => ScriptedChatClient.Answer("no json"));
        var task = new SummaryTask { Llm = llm };

        var row = (await task.ProcessAsync([Row()]).ToListAsync()).Single();

        Assert.That(llm.Requests, Has.Count.EqualTo(1));
        Assert.That(row["distilabel_metadata"]!.AsObject().Select(p => p.Key), Has.None.StartWith("reasks_").And.None.StartWith("raw_outputs_"));
    }

    [Test]
    public async Task An_answer_that_breaks_a_row_rule_is_asked_again_naming_the_rule()
    {
        var llm = new ScriptedChatClient()
            .OnCall(0, _ => ScriptedChatClient.Answer("""{"scores": [137]}"""))
            .Otherwise(_ => ScriptedChatClient.Answer("""{"scores": [4, 5]}"""));
        var task = new QualityScorer { Llm = llm, Reasks = 1, UseDefaultStructuredOutput = true };

        var result = (await task.RunAsync([new QualityScorer.Input("q", ["a", "b"])]).ToListAsync()).Single();

        Assert.That(result.Output!.Scores, Is.EqualTo(new double?[] { 4, 5 }));
        Assert.That(result.Generations[0].EarlierAnswers, Is.EqualTo(new[] { """{"scores": [137]}""" }));
        Assert.That(llm.Requests[1].Messages[^1].Text, Does.Contain("'scores' has 1 item for 2 responses"));
    }

    [Test]
    public async Task A_pipeline_stopped_between_attempts_resumes_without_paying_for_the_first_again()
    {
        using var folder = new TempFolder("distil-reask-");
        var runs = folder.Path;
        using var stop = new CancellationTokenSource();
        // The first answer does not parse; the run is stopped while its re-ask is in flight.
        var first = new ScriptedChatClient()
            .OnCall(0, _ => ScriptedChatClient.Answer("not json", 10, 2))
            .Otherwise(ChatResponse (_) => { stop.Cancel(); throw new OperationCanceledException(stop.Token); });
        Assert.CatchAsync<OperationCanceledException>(async () => await Pipeline(runs, first).RunAsync(new PipelineRunOptions { Progress = ProgressMode.None }, stop.Token));
        Assert.That(first.Requests, Has.Count.EqualTo(2));

        var second = new ScriptedChatClient(_ => ScriptedChatClient.Answer(Good, 30, 6));
        var result = await Pipeline(runs, second).RunAsync(new PipelineRunOptions { Progress = ProgressMode.None });
        var row = (await result.Dataset.ToListAsync()).Single();

        Assert.That(second.Requests, Has.Count.EqualTo(1), "the first answer came from the run directory; only the re-ask was paid");
        Assert.That(second.Requests[0].Messages[^2].Text, Is.EqualTo("not json"));
        Assert.That((string?)row["summary"], Is.EqualTo("short"));
        Assert.That(row["distilabel_metadata"]!["raw_outputs_summary"]!.AsArray().Select(a => (string?)a), Is.EqualTo(new[] { "not json", Good }));
        Assert.That((long?)row["distilabel_metadata"]!["statistics_summary"]!["input_tokens"], Is.EqualTo(40), "the kept attempt's tokens still count");
    }

    private static Distil.Pipelines.Pipeline Pipeline(string runs, IChatClient llm)
    {
        var pipeline = Distil.Pipelines.Pipeline.Create("reask");
        pipeline.RunDirectory = Path.Combine(runs, "reask");
        pipeline.Load([Row()]).Then(new SummaryTask { Llm = llm, Reasks = 1 });
        return pipeline;
    }

    [Test]
    public async Task Numbers_written_as_words_or_fractions_are_mended_and_the_row_says_so()
    {
        var llm = new ScriptedChatClient()
            .When(r => r.UserText.Contains("mend"), """{"scores": ["four", "3/5"]}""")
            .Otherwise(_ => """{"scores": ["good", 4]}""");
        var task = new QualityScorer { Llm = llm, UseDefaultStructuredOutput = true };

        var rows = await task.ProcessAsync([
            new JsonObject { ["instruction"] = "mend", ["responses"] = new JsonArray("a", "b") },
            new JsonObject { ["instruction"] = "keep", ["responses"] = new JsonArray("a", "b") },
        ]).ToListAsync();

        Assert.That(rows[0]["scores"]!.ToJsonString(), Is.EqualTo("[4,3]"));
        Assert.That(rows[0]["distilabel_metadata"]!["repairs_quality_scorer"]!.AsArray().Select(r => (string?)r),
            Is.EqualTo(new[] { "\"four\" read as 4", "\"3/5\" read as 3" }));
        Assert.That(rows[1]["scores"]!.ToJsonString(), Is.EqualTo("[null,null]"), "nothing is invented: 'good' is no number (the answer is unreadable, in distilabel's shape)");
        Assert.That(rows[1]["distilabel_metadata"]!.AsObject().ContainsKey("repairs_quality_scorer"), Is.False);
    }

    [Test]
    public async Task Each_row_gets_a_schema_and_grammar_with_its_own_count_and_rows_alike_share_one()
    {
        var llm = new ScriptedChatClient(r => ScriptedChatClient.Answer("""{"scores": [4, 5]}"""));
        var task = new QualityScorer { Llm = llm, UseDefaultStructuredOutput = true, MaxConcurrency = 4 };

        await task.RunAsync([new QualityScorer.Input("q", ["a", "b"]), new QualityScorer.Input("q", ["a", "b", "c"]), new QualityScorer.Input("r", ["x", "y"])]).ToListAsync();

        var requests = llm.Requests.OrderBy(r => r.UserText.Length).ToList();
        var schemas = llm.Requests.Select(r => ((ChatResponseFormatJson)r.Options!.ResponseFormat!).Schema!.Value.GetRawText()).ToList();
        var counts = schemas.Select(s => JsonNode.Parse(s)!["properties"]!["scores"]!).Select(p => ((int)p["minItems"]!, (int)p["maxItems"]!)).ToList();
        Assert.That(counts, Is.EquivalentTo(new[] { (2, 2), (3, 3), (2, 2) }));
        Assert.That(schemas.Distinct().Count(), Is.EqualTo(2), "one schema per count");
        var grammars = llm.Requests.Select(r => (string)r.Options!.AdditionalProperties![ChatOptionsKeys.Grammar]!).ToList();
        Assert.That(grammars, Has.Some.Contain("row-scores ::= \"[\" row-scores-item (\",\" row-scores-item){2} \"]\""));
        Assert.That(grammars, Has.Some.Contain("row-scores ::= \"[\" row-scores-item (\",\" row-scores-item){1} \"]\""));
        Assert.That(grammars[0], Does.Contain("row-scores-item ::= (number-1-6 | \"null\")"), "each score from 1 to 6");
    }

    [Test]
    public async Task A_per_row_label_set_reaches_the_schema_the_grammar_and_the_check()
    {
        var llm = new ScriptedChatClient()
            .When(r => r.UserText.Contains("first"), """{"label": "green", "also": []}""")
            .Otherwise(_ => """{"label": "anything", "also": ["x"]}""");
        var task = new LabelTask { Llm = llm, UseDefaultStructuredOutput = true };

        var results = await task.RunAsync([new LabelTask.Input("first", ["red", "blue"]), new LabelTask.Input("second", [])]).ToListAsync();

        var first = llm.Requests.Single(r => r.UserText.Contains("first"));
        var schema = JsonNode.Parse(((ChatResponseFormatJson)first.Options!.ResponseFormat!).Schema!.Value.GetRawText())!["properties"]!;
        Assert.That(schema["label"]!["enum"]!.ToJsonString(), Is.EqualTo("""["red","blue",null]"""));
        Assert.That(schema["also"]!["items"]!["enum"]!.ToJsonString(), Is.EqualTo("""["red","blue"]"""));
        var grammar = (string)first.Options.AdditionalProperties![ChatOptionsKeys.Grammar]!;
        Assert.That(grammar, Does.Contain("row-label ::= ((\"\\\"red\\\"\" | \"\\\"blue\\\"\") | \"null\")"));
        Assert.That(grammar, Does.Contain("row-also-item ::= (\"\\\"red\\\"\" | \"\\\"blue\\\"\")"));
        Assert.That(results[0].Generations[0].Rejection, Is.EqualTo("'label' holds 'green', which is not one of the row's labels (red, blue)"));

        var second = llm.Requests.Single(r => r.UserText.Contains("second"));
        Assert.That(((ChatResponseFormatJson)second.Options!.ResponseFormat!).Schema!.Value.GetRawText(), Does.Not.Contain("enum"), "an empty label list constrains nothing");
        Assert.That(results[1].Output!.Label, Is.EqualTo("anything"));
    }

    [Test]
    public async Task The_tiny_local_model_under_the_row_grammar_picks_labels_from_the_row_s_own_set()
    {
        using var llm = Distil.LlamaSharp.LocalChatClient.Load(Support.TestModel.Path, contextSize: 1024);
        var task = new LabelTask { Llm = llm, UseDefaultStructuredOutput = true, GenerationOptions = new ChatOptions { MaxOutputTokens = 80, Seed = 5 } };
        var inputs = new[] { new[] { "red", "blue" }, new[] { "cat", "dog", "owl" } }.Select((labels, i) => new LabelTask.Input($"item {i}", labels)).ToList();

        var results = await task.RunAsync(inputs).ToListAsync();

        foreach (var result in results)
        {
            Assert.That(result.Output, Is.Not.Null, result.Generations[0].Text);
            var labels = new[] { result.Output!.Label }.Where(l => l is not null).Concat(result.Output.Also ?? []).ToList();
            Assert.That(labels.Where(l => !result.Input.Labels.Contains(l)), Is.Empty, result.Generations[0].Text);
        }
    }

    [Test]
    public async Task The_tiny_local_model_under_the_row_grammar_writes_one_in_range_score_per_response()
    {
        using var llm = Distil.LlamaSharp.LocalChatClient.Load(Support.TestModel.Path, contextSize: 1024);
        var task = new QualityScorer
        {
            Llm = llm,
            UseDefaultStructuredOutput = true,
            GenerationOptions = new ChatOptions { MaxOutputTokens = 160, Seed = 11 },
        };
        var inputs = new[] { 1, 2, 3, 4 }.Select(n => new QualityScorer.Input("Name a colour.", Enumerable.Range(0, n).Select(i => $"colour {i}").ToList())).ToList();

        var results = await task.RunAsync(inputs).ToListAsync();

        foreach (var result in results)
        {
            var generation = result.Generations[0];
            TestContext.Out.WriteLine($"{result.Input.Responses.Count} responses: {generation.Text} {generation.Rejection}");
            Assert.That(result.Output, Is.Not.Null, $"the answer parsed and kept its rules: {generation.Text} ({generation.Rejection})");
            Assert.That(result.Output!.Scores, Has.Count.EqualTo(result.Input.Responses.Count), "one score per response");
            Assert.That(result.Output.Scores.Where(s => s is not null), Has.All.InRange(1.0, 6.0));
        }
    }
}
