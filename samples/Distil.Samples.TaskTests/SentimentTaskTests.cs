using System.Text.Json.Nodes;
using Distil.Testing;
using NUnit.Framework;

namespace Distil.Samples.TaskTests;

/// <summary>How to test a task of your own: its prompt, its parsing and its rows, without a model.</summary>
public class SentimentTaskTests
{
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
}
