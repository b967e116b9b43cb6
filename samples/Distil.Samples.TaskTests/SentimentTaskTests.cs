using System.Text.Json.Nodes;
using Distil.OpenAI;
using Distil.Testing;
using NUnit.Framework;

namespace Distil.Samples.TaskTests;

/// <summary>How to test a task of your own: its prompt, its parsing and its rows, without a model.</summary>
public class SentimentTaskTests
{
    // The whole prompt, the schema and the grammar, compared with SentimentTaskTests.Prompt_snapshot.verified.txt
    // beside this file. Change the template and this fails with a diff; accept by renaming the
    // .received.txt file it writes, or run the tests once with DISTIL_ACCEPT_SNAPSHOTS=1.
    [Test]
    public void Prompt_snapshot() =>
        PromptSnapshot.Verify(new SentimentTask(), new SentimentTask.Input("email", "  The parcel never came.  "),
            includeSchema: true, includeGrammar: true);

    [Test]
    public void The_prompt_reads_as_intended()
    {
        var messages = new SentimentTask().FormatInput(new SentimentTask.Input("email", "  The parcel never came.  "));

        Assert.That(messages[1].Text, Is.EqualTo(
            "Message from email:\nThe parcel never came.\n\nAnswer with JSON: {\"sentiment\": \"Negative|Neutral|Positive\", \"reason\": \"...\"}"));
    }

    [TestCase("{\"sentiment\": \"negative\", \"reason\": \"lost parcel\"}", Sentiment.Negative)]
    [TestCase("Sure!\n```json\n{\"sentiment\": \"Positive\", \"reason\": \"thanks\"}\n```", Sentiment.Positive)]
    public void Answers_parse_into_the_output_record(string answer, Sentiment expected)
    {
        var output = new SentimentTask().FormatOutput(answer, new SentimentTask.Input("chat", "x"));

        Assert.That(output?.Sentiment, Is.EqualTo(expected));
    }

    [Test]
    public async Task Rows_carry_the_label_and_the_metadata()
    {
        var llm = new ScriptedChatClient(_ => ScriptedChatClient.Answer(
            "{\"sentiment\": \"Neutral\", \"reason\": \"a question\"}", inputTokens: 40, outputTokens: 12));
        var task = new SentimentTask { Llm = llm };
        var row = new JsonObject { ["channel"] = "chat", ["message"] = "Do you ship to Norway?", ["id"] = 7 };

        var rows = new List<JsonObject>();
        await foreach (var output in task.ProcessAsync([row])) rows.Add(output);

        Assert.That((string?)rows.Single()["sentiment"], Is.EqualTo("Neutral"));
        Assert.That((int?)rows.Single()["id"], Is.EqualTo(7), "columns the task does not read are kept");
        Assert.That(rows.Single()["distilabel_metadata"]!["statistics_sentiment"]!.ToJsonString(),
            Is.EqualTo("{\"input_tokens\":40,\"output_tokens\":12}"));
        Assert.That(llm.Requests.Single().UserText, Does.StartWith("Message from chat:"));
    }

    [Test]
    public async Task Failed_calls_are_retried_and_unreadable_answers_kept()
    {
        var llm = new ScriptedChatClient()
            .OnCall(0, ScriptedChatClient.Throttled)                         // a 429: retried
            .WhenUserTextContains("refund", "I am not sure what you mean.")  // free text: not parsed
            .Otherwise(_ => "{\"sentiment\": \"Positive\", \"reason\": \"praise\"}");
        var resilient = new ResilientChatClient(llm, new ResilienceOptions { BaseDelay = TimeSpan.FromMilliseconds(1) });
        var task = new SentimentTask { Llm = resilient };
        var rows = new[]
        {
            new JsonObject { ["channel"] = "chat", ["message"] = "Lovely service!" },
            new JsonObject { ["channel"] = "email", ["message"] = "Where is my refund?" },
        };

        var outputs = new List<JsonObject>();
        await foreach (var output in task.ProcessAsync(rows)) outputs.Add(output);

        Assert.That((string?)outputs[0]["sentiment"], Is.EqualTo("Positive"));
        Assert.That(outputs[1]["sentiment"], Is.Null);
        Assert.That((string?)outputs[1]["distilabel_metadata"]!["raw_output_sentiment"], Is.EqualTo("I am not sure what you mean."));
        Assert.That(llm.Requests, Has.Count.EqualTo(3), "two rows, one retry");
    }

    // One test over real HTTP: the fake OpenAI-compatible server on 127.0.0.1, the real OpenAI
    // provider, structured output on the wire.
    [Test]
    public async Task Runs_against_an_OpenAI_compatible_server()
    {
        await using var server = await FakeOpenAIServer.StartAsync();
        server.Reply = FakeReplies.Answering(_ => "{\"sentiment\": \"Negative\", \"reason\": \"late\"}");
        using var llm = new ChatClientFactory().AddOpenAI().Create($"endpoint:{server.BaseUrl}#test-model");
        var task = new SentimentTask { Llm = llm, UseDefaultStructuredOutput = true };

        var outputs = new List<JsonObject>();
        await foreach (var output in task.ProcessAsync([new JsonObject { ["channel"] = "sms", ["message"] = "Still waiting." }])) outputs.Add(output);

        Assert.That((string?)outputs.Single()["sentiment"], Is.EqualTo("Negative"));
        Assert.That((string?)outputs.Single()["model_name"], Is.EqualTo("test-model"));
        Assert.That((string?)server.Requests.Single().Body["response_format"]?["type"], Is.EqualTo("json_schema"));
    }
}
