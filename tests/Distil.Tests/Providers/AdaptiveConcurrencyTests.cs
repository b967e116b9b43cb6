using Distil.Testing;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Time.Testing;
using NUnit.Framework;

namespace Distil.Tests.Providers;

/// <summary>
/// <see cref="AdaptiveConcurrency"/> on a fake clock against a simulated deployment that serves
/// a fixed number of calls at once and refuses the rest at once (as a quota does), and its use by
/// the factory's clients over real HTTP.
/// </summary>
public class AdaptiveConcurrencyTests : FakeServerTests
{
    private static readonly TimeSpan Latency = TimeSpan.FromMilliseconds(100);

    // One latency window: every slot the limit gives is taken at once; the service serves the
    // first `capacity` and refuses each call beyond them as it arrives; then the served ones are answered.
    private static (int Sent, int Refused) Window(AdaptiveConcurrency limit, FakeTimeProvider time, int capacity)
    {
        var served = new List<ConcurrencyLease>();
        var refused = 0;
        // A refused call's slot is free again at once: at most a limit's worth of sends per window.
        var sends = limit.Limit;
        for (var i = 0; i < sends && limit.TryAcquire() is { } lease; i++)
        {
            if (served.Count < capacity)
            {
                served.Add(lease);
            }
            else
            {
                lease.Refused();
                refused++;
            }
        }
        time.Advance(Latency);
        foreach (var lease in served) lease.Answered();
        return (served.Count + refused, refused);
    }

    private static (int Sent, int Refused, double MeanLimit) Windows(AdaptiveConcurrency limit, FakeTimeProvider time, int capacity, int count)
    {
        int sent = 0, refused = 0;
        double limits = 0;
        for (var i = 0; i < count; i++)
        {
            limits += limit.Limit;
            var (s, r) = Window(limit, time, capacity);
            sent += s;
            refused += r;
        }
        return (sent, refused, limits / count);
    }

    [Test]
    public void The_limit_goes_down_on_refusals_and_back_up_when_capacity_returns()
    {
        var time = new FakeTimeProvider();
        var limit = new AdaptiveConcurrency("fake-model", ceiling: 200, time: time);
        Assert.That(limit.Limit, Is.EqualTo(AdaptiveConcurrency.DefaultInitialLimit), "it starts modestly");

        // Capacity 24: it finds it and settles just under it, without a sawtooth.
        var found = Windows(limit, time, capacity: 24, count: 20);
        var settled = Windows(limit, time, capacity: 24, count: 60);
        Assert.That(limit.Limit, Is.InRange(21, 25));
        Assert.That(settled.MeanLimit, Is.GreaterThanOrEqualTo(0.9 * 24), "settles near the capacity (plain AIMD averages 3/4 of it)");
        Assert.That((double)(found.Refused + settled.Refused) / (found.Sent + settled.Sent), Is.LessThan(0.05), "few calls refused");

        // Capacity falls to 8: the limit follows it down.
        Windows(limit, time, capacity: 8, count: 10);
        Assert.That(limit.Limit, Is.InRange(6, 9), "down on refusals");
        var low = limit.Limit;

        // Capacity comes back: the limit grows back up to it.
        Windows(limit, time, capacity: 24, count: 60);
        Assert.That(limit.Limit, Is.InRange(20, 25), "back up when capacity returns");
        Assert.That(limit.History.Select(h => h.Limit), Has.Some.LessThanOrEqualTo(low).And.Some.GreaterThanOrEqualTo(20), "the history shows the way down and up");
        Assert.That(limit.Refusals, Is.GreaterThan(0));
    }

    [Test]
    public void The_limit_never_goes_above_its_ceiling()
    {
        var time = new FakeTimeProvider();
        var limit = new AdaptiveConcurrency("fake-model", ceiling: 12, time: time);

        Windows(limit, time, capacity: 100, count: 20);

        Assert.That(limit.Limit, Is.EqualTo(12));
        Assert.That(limit.History.Max(h => h.Limit), Is.EqualTo(12));
    }

    [Test]
    public void A_limit_nothing_presses_does_not_grow()
    {
        var time = new FakeTimeProvider();
        var limit = new AdaptiveConcurrency("fake-model", ceiling: 100, time: time);

        // Two calls at a time, well under the limit of 8, answered for a long while.
        for (var i = 0; i < 100; i++)
        {
            var calls = new[] { limit.TryAcquire()!, limit.TryAcquire()! };
            time.Advance(Latency);
            foreach (var call in calls) call.Answered();
        }

        Assert.That(limit.Limit, Is.EqualTo(AdaptiveConcurrency.DefaultInitialLimit));
    }

    [Test]
    public async Task Retry_After_pauses_every_new_send_until_the_time_it_names()
    {
        var time = new FakeTimeProvider();
        var limit = new AdaptiveConcurrency("fake-model", ceiling: 10, time: time);

        limit.TryAcquire()!.Refused(TimeSpan.FromSeconds(2));
        var waiting = limit.AcquireAsync().AsTask();

        Assert.That(limit.TryAcquire(), Is.Null, "paused");
        Assert.That(limit.PausedUntil, Is.EqualTo(time.GetUtcNow() + TimeSpan.FromSeconds(2)));
        time.Advance(TimeSpan.FromSeconds(1.9));
        Assert.That(waiting.IsCompleted, Is.False, "still paused");
        time.Advance(TimeSpan.FromSeconds(0.2));
        (await waiting.WaitAsync(TimeSpan.FromSeconds(5))).Dispose();
        Assert.That(limit.PausedUntil, Is.Null);
    }

    [Test]
    public void A_fixed_limit_stays_at_its_ceiling_and_still_counts_refusals()
    {
        var time = new FakeTimeProvider();
        var limit = new AdaptiveConcurrency("fake-model", ceiling: 24, adaptive: false, time: time);

        Windows(limit, time, capacity: 10, count: 5);

        Assert.That(limit.Limit, Is.EqualTo(24));
        Assert.That(limit.Refusals, Is.EqualTo(5 * 14));
    }

    [Test]
    public async Task Three_clients_of_one_model_share_its_limit()
    {
        // A deployment that serves two calls at once; three steps' clients made by one factory.
        Server.Reply = FakeReplies.Answering(_ => "ok").WithLatency(TimeSpan.FromMilliseconds(50));
        Server.MaxConcurrent = 2;
        var factory = FakeServerClients.Factory(Server, resilience: FakeServerClients.FastRetries with { MaxRetries = 20 });
        using var first = factory.Create("openai:fake-model");
        using var second = factory.Create("openai:fake-model");
        using var third = factory.Create("openai:fake-model");
        using var other = factory.Create("openai:another-model");

        var limit = first.GetService<AdaptiveConcurrency>();
        Assert.That(limit, Is.Not.Null.And.SameAs(second.GetService<AdaptiveConcurrency>()).And.SameAs(third.GetService<AdaptiveConcurrency>()));
        Assert.That(other.GetService<AdaptiveConcurrency>(), Is.Not.SameAs(limit), "another model has a limit of its own");

        await Task.WhenAll(new[] { first, second, third }.SelectMany(client => Enumerable.Range(0, 20).Select(i => client.GetResponseAsync($"call {i}"))));

        Assert.That(Server.RequestCount, Is.EqualTo(60), "every call answered once");
        Assert.That(limit!.Limit, Is.LessThanOrEqualTo(3), "the shared limit found the two slots");
        // Three limits of their own would start at 8 each: 22 refused in the first burst alone, and each limit would keep
        // a call in flight that the two slots cannot take. One shared limit is refused 6 times in its first burst; what
        // follows depends on timing (20 seen on a loaded machine), hence the margin.
        Assert.That(Server.RefusedCount, Is.LessThan(30), "one limit for the three clients");
    }
}

/// <summary>The fake server's stand-in for a deployment's capacity.</summary>
public class FakeServerCapacityTests : FakeServerTests
{
    [Test]
    public async Task Calls_beyond_the_capacity_are_refused_with_429_and_the_capacity_can_change_while_serving()
    {
        Server.Reply = FakeReplies.Answering(_ => "ok").WithLatency(TimeSpan.FromMilliseconds(200));
        Server.MaxConcurrent = 3;
        Server.CapacityRetryAfter = TimeSpan.FromSeconds(2);
        using var http = new HttpClient { BaseAddress = Server.Endpoint };
        var body = """{"model":"m","messages":[{"role":"user","content":"hi"}]}""";

        var replies = await Task.WhenAll(Enumerable.Range(0, 5).Select(_ => http.PostAsync("v1/chat/completions", new StringContent(body))));

        Assert.That(replies.Count(r => r.IsSuccessStatusCode), Is.EqualTo(3));
        var refusals = replies.Where(r => (int)r.StatusCode == 429).ToList();
        Assert.That(refusals, Has.Count.EqualTo(2));
        Assert.That(refusals.Select(r => r.Headers.RetryAfter?.Delta), Is.All.EqualTo(TimeSpan.FromSeconds(2)));
        Assert.That((Server.RequestCount, Server.RefusedCount), Is.EqualTo((3, 2)), "refused calls are counted apart");

        var change = await http.PostAsync("fake/capacity", new StringContent("5"));
        Assert.That(change.IsSuccessStatusCode, Is.True);
        Assert.That(Server.MaxConcurrent, Is.EqualTo(5));
        replies = await Task.WhenAll(Enumerable.Range(0, 5).Select(_ => http.PostAsync("v1/chat/completions", new StringContent(body))));
        Assert.That(replies.All(r => r.IsSuccessStatusCode), Is.True);

        var wrong = await http.PostAsync("fake/capacity", new StringContent("zero"));
        Assert.That((int)wrong.StatusCode, Is.EqualTo(400));
        Assert.That(await wrong.Content.ReadAsStringAsync(), Does.Contain("'zero'"));
    }
}
