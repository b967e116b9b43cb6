using Distil.Testing;
using Microsoft.Extensions.AI;
using NUnit.Framework;

namespace Distil.Tests.Providers;

/// <summary>The limit on a model's calls in flight is the model's, not each client's (issue 33).</summary>
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
}
