using Distil.Testing;
using Microsoft.Extensions.AI;
using NUnit.Framework;

namespace Distil.Tests.Providers;

/// <summary>Issue 33, through old API only: the limit on a model's calls in flight is the model's, not each client's; the token budget counts what answers used.</summary>
public class SharedModelLimitTests : FakeServerTests
{
    [Test]
    public async Task Three_steps_clients_of_one_model_never_put_more_than_its_limit_in_flight()
    {
        // Three steps on one two-slot server: one client per step, all made by one factory.
        Server.Reply = FakeReplies.Answering(_ => "ok").WithLatency(TimeSpan.FromMilliseconds(50));
        var factory = FakeServerClients.Factory(Server, resilience: FakeServerClients.FastRetries with { MaxConcurrentRequests = 2 });
        var clients = Enumerable.Range(0, 3).Select(_ => factory.Create("openai:fake-model")).ToList();

        await Task.WhenAll(clients.SelectMany(client => Enumerable.Range(0, 8).Select(i => client.GetResponseAsync($"call {i}"))));

        Assert.That(Server.RequestCount, Is.EqualTo(24));
        Assert.That(Server.PeakInFlight, Is.EqualTo(2), "the model's two slots, shared by the three clients (not two each)");
        foreach (var client in clients) client.Dispose();
    }

    [Test]
    public async Task The_tokens_per_minute_budget_is_settled_from_the_usage_the_answers_report()
    {
        // The estimate of each request is its output limit, 1,000 tokens; the answers report 3.
        Server.Reply = FakeReplies.Answering(_ => "ok");
        using var llm = FakeServerClients.OpenAI(Server, resilience: FakeServerClients.FastRetries with { TokensPerMinute = 60_000 });
        var options = new ChatOptions { MaxOutputTokens = 1000 };

        // One after another: each answer's unused estimate is credited to the next request. Charged
        // their estimates, the bucket of 10,000 would let nine through and then one a second.
        var started = DateTime.UtcNow;
        for (var i = 0; i < 20; i++) await llm.GetResponseAsync($"hi {i}", options);
        Assert.That(DateTime.UtcNow - started, Is.LessThan(TimeSpan.FromSeconds(5)),
            "charged what they used, not their estimates (which would wait ten seconds for the budget)");
    }
}
