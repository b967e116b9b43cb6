using Distil.Testing;
using Distil.Tests.Support;
using Distil.Tests.Tasks;
using Microsoft.Extensions.AI;
using NUnit.Framework;

namespace Distil.Tests.Testing;

/// <summary>The scripted client of the kit: rules, failures, delays, usage and the request log.</summary>
public class ScriptedChatClientTests
{
    private static IEnumerable<System.Text.Json.Nodes.JsonObject> Rows(params string[] titles) =>
        titles.Select(t => Support.Rows.Parse($$"""{"title":"{{t}}","max_words":5,"key_points":["a"]}"""));

    [Test]
    public async Task Rules_answer_by_content_by_call_number_and_by_function_in_order()
    {
        var llm = new ScriptedChatClient()
            .WhenUserTextContains("Dune", "{\"summary\":\"sand\",\"word_count\":1}")
            .OnCall(1, _ => ScriptedChatClient.Answer("{\"summary\":\"second call\",\"word_count\":2}"))
            .Otherwise(request => $"{{\"summary\":\"call {request.CallNumber}\",\"word_count\":3}}");
        var task = new SummaryTask { Llm = llm };

        var rows = await task.ProcessAsync(Rows("Dune", "Emma", "Ulysses")).ToListAsync();

        Assert.That(rows.Select(r => (string?)r["summary"]), Is.EqualTo(new[] { "sand", "second call", "call 2" }));
        Assert.That(llm.Requests.Select(r => r.CallNumber), Is.EqualTo(new[] { 0, 1, 2 }));
        Assert.That(llm.Requests[2].UserText, Does.StartWith("Summarise Ulysses"));
    }

    [Test]
    public async Task Text_rules_report_token_usage()
    {
        var llm = new ScriptedChatClient().Otherwise(_ => "{\"summary\":\"two words\",\"word_count\":2}");

        var row = (await new SummaryTask { Llm = llm }.ProcessAsync(Rows("Dune")).ToListAsync()).Single();

        var statistics = row["distilabel_metadata"]!["statistics_summary"]!;
        Assert.That((long?)statistics["output_tokens"], Is.EqualTo(2));
        Assert.That((long?)statistics["input_tokens"], Is.GreaterThan(5));
    }

    [Test]
    public async Task Throttled_calls_are_retried_by_the_resilience_middleware()
    {
        var scripted = new ScriptedChatClient()
            .OnCall(0, ScriptedChatClient.Throttled)
            .OnCall(1, ScriptedChatClient.ServerError)
            .Otherwise(_ => "ok");
        var logger = new ListLogger();
        using var llm = new ResilientChatClient(scripted, new ResilienceOptions { BaseDelay = TimeSpan.FromMilliseconds(1), MaxDelay = TimeSpan.FromMilliseconds(5) }, logger);

        var response = await llm.GetResponseAsync("hi");

        Assert.That(response.Text, Is.EqualTo("ok"));
        Assert.That(scripted.Requests, Has.Count.EqualTo(3));
        Assert.That(logger.Warnings, Has.Some.Contains("HTTP 429").And.Some.Contains("HTTP 500"));
    }

    [Test]
    public async Task A_delay_shows_how_many_requests_a_task_keeps_waiting()
    {
        // Uneven latencies: a batch barrier of 3 would reach the peak too, then drain to 1 or 2
        // while its slowest answer is out (a mean near 2); keeping the slots full stays near 3.
        var latencies = new[] { 10, 120, 15, 20, 90, 10, 25, 110, 15, 10, 80, 20 };
        var llm = new ScriptedChatClient { Latency = r => TimeSpan.FromMilliseconds(latencies[r.CallNumber % latencies.Length]) }
            .Otherwise(_ => "{\"summary\":\"s\",\"word_count\":1}");
        var task = new SummaryTask { Llm = llm, MaxConcurrency = 3 };

        await task.ProcessAsync(Rows(Enumerable.Range(0, 36).Select(i => $"t{i}").ToArray())).ToListAsync();

        Assert.That(llm.PeakInFlight, Is.EqualTo(3));
        Assert.That(llm.MeanInFlight, Is.GreaterThan(2.6), "the slots stay full, not drained per batch");
    }

    [Test]
    public void A_request_no_rule_answers_says_so()
    {
        var llm = new ScriptedChatClient().WhenUserTextContains("Dune", "x");

        Assert.That(async () => await llm.GetResponseAsync("something else"),
            Throws.InvalidOperationException.With.Message.Contains("No rule of the scripted client answers request 0").And.Message.Contains("something else"));
    }
}
