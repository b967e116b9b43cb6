using System.Diagnostics;
using Distil.Testing;
using Distil.Tests.Support;
using Microsoft.Extensions.AI;
using NUnit.Framework;

namespace Distil.Tests.Providers;

/// <summary>Retries, limits, timeouts and cancellation of <see cref="ResilientChatClient"/>, over real HTTP.</summary>
public class ResilienceTests : FakeServerTests
{
    [Test]
    public async Task With_a_fifth_of_calls_failing_every_row_is_answered_once_and_in_order()
    {
        Server.Reply = FakeReplies.Answering(EchoTask.Answer).WithTransientFaults(0.2, seed: 11);
        var logger = new ListLogger();
        using var llm = FakeServerClients.OpenAI(Server, logger, FakeServerClients.FastRetries with { MaxRetries = 10 });
        var task = new EchoTask { Llm = llm, MaxConcurrency = 16, Logger = logger };

        var rows = await task.ProcessAsync(EchoTask.Rows(1000)).ToListAsync();

        Assert.That(rows, Has.Count.EqualTo(1000));
        Assert.That(rows.Select(r => (int?)r["id"]), Is.EqualTo(Enumerable.Range(0, 1000).Select(i => (int?)i)), "input order, no row lost or repeated");
        Assert.That(rows.Select(r => (string?)r["echo"]), Is.EqualTo(rows.Select(r => ((int?)r["id"]).ToString())), "each row got its own answer");
        var retries = logger.Warnings.Count(w => w.StartsWith("Step 'echo': LLM request to ", StringComparison.Ordinal));
        Assert.That(Server.RequestCount, Is.EqualTo(1000 + retries), "every failed attempt was retried, and only those");
        Assert.That(retries, Is.InRange(120, 400), "about a fifth of the attempts failed");
        Assert.That(logger.Warnings, Has.Some.Contains("HTTP 429").And.Some.Contains("HTTP 500")
            .And.Some.Contains("HTTP 503").And.Some.Contains("connection error").And.Some.Contains("malformed response"));
        Assert.That(logger.Entries.Last().Message, Does.StartWith("Task 'echo' finished: 1000 rows, 1000 answers, all parsed"));
    }

    [Test]
    public async Task A_permanent_outage_ends_with_imputed_rows_and_a_summary()
    {
        Server.Reply = FakeReplies.Outage(503);
        var logger = new ListLogger();
        using var llm = FakeServerClients.OpenAI(Server, logger, FakeServerClients.FastRetries with { MaxRetries = 2 });
        var task = new EchoTask { Llm = llm, MaxConcurrency = 8, Logger = logger };

        var rows = await task.ProcessAsync(EchoTask.Rows(40)).ToListAsync();

        Assert.That(rows, Has.Count.EqualTo(40));
        Assert.That(rows.Select(r => r["echo"]), Is.All.Null);
        Assert.That(rows.Select(r => r["distilabel_metadata"]!["raw_output_echo"]), Is.All.Null);
        Assert.That(Server.RequestCount, Is.EqualTo(40 * 3), "each call tried once and retried twice");
        var summary = logger.Entries.Last();
        Assert.That(summary.Message, Does.StartWith("Task 'echo' finished: 40 rows, 0 answers (0 unparsed), 40 failed LLM calls imputed as null"));
        Assert.That(summary.Message, Does.Contain("503"));
    }

    [Test]
    public async Task Errors_that_would_fail_again_are_not_retried()
    {
        Server.Reply = _ => new FakeReply.ServerError(400);
        using var llm = FakeServerClients.OpenAI(Server);

        Assert.That(async () => await llm.GetResponseAsync("hi"), Throws.Exception);
        Assert.That(Server.RequestCount, Is.EqualTo(1));
    }

    [Test]
    public async Task The_concurrency_limit_holds_across_tasks_sharing_a_client()
    {
        Server.Reply = FakeReplies.Answering(EchoTask.Answer).WithLognormalLatency(TimeSpan.FromMilliseconds(50), 0.8, seed: 4);
        using var llm = FakeServerClients.OpenAI(Server, resilience: FakeServerClients.FastRetries with { MaxConcurrentRequests = 4 });
        var first = new EchoTask { Llm = llm, MaxConcurrency = 16 };
        var second = new EchoTask { Llm = llm, MaxConcurrency = 16 };

        await Task.WhenAll(first.ProcessAsync(EchoTask.Rows(40)).ToListAsync(), second.ProcessAsync(EchoTask.Rows(40)).ToListAsync());

        Assert.That(Server.RequestCount, Is.EqualTo(80));
        Assert.That(Server.PeakInFlight, Is.EqualTo(4), "never more than the client's limit");
        Assert.That(Server.MeanInFlight, Is.GreaterThan(0.8 * 4), "and the limit is kept full, not reached once");
    }

    [Test]
    public async Task A_task_keeps_its_MaxConcurrency_in_flight()
    {
        // Lognormal latencies: a batch barrier of 12 would reach the peak, then wait on each batch's
        // slowest answer with most slots idle (a mean near half the limit). A median of 50 ms keeps
        // the client's own work per call small beside the latency on a loaded machine.
        Server.Reply = FakeReplies.Answering(EchoTask.Answer).WithLognormalLatency(TimeSpan.FromMilliseconds(50), 0.8, seed: 5);
        using var llm = FakeServerClients.OpenAI(Server);
        var task = new EchoTask { Llm = llm, MaxConcurrency = 12 };

        await task.ProcessAsync(EchoTask.Rows(360)).ToListAsync();

        Assert.That(Server.PeakInFlight, Is.EqualTo(12));
        Assert.That(Server.MeanInFlight, Is.GreaterThan(0.8 * 12), "slots refill as answers arrive");
    }

    [Test]
    public async Task Retry_After_is_waited_for()
    {
        Server.Reply = FakeReplies.Answering(_ => "ok").AfterFirst(1, new FakeReply.TooManyRequests(TimeSpan.FromSeconds(1)));
        // Backoff alone would retry within milliseconds: only the header explains a wait of a second.
        using var llm = FakeServerClients.OpenAI(Server);

        var response = await llm.GetResponseAsync("hi");

        Assert.That(response.Text, Is.EqualTo("ok"));
        var requests = Server.Requests;
        Assert.That(requests, Has.Count.EqualTo(2));
        Assert.That(requests[1].ReceivedAt - requests[0].ReceivedAt, Is.GreaterThanOrEqualTo(TimeSpan.FromMilliseconds(950)));
    }

    [Test]
    public async Task An_attempt_that_takes_too_long_is_abandoned_and_retried()
    {
        Server.Reply = FakeReplies.Answering(_ => "late").AfterFirst(1, new FakeReply.Answer("too late").After(TimeSpan.FromSeconds(30)));
        using var llm = FakeServerClients.OpenAI(Server, resilience: FakeServerClients.FastRetries with { AttemptTimeout = TimeSpan.FromMilliseconds(300) });

        var response = await llm.GetResponseAsync("hi");

        Assert.That(response.Text, Is.EqualTo("late"));
        Assert.That(Server.RequestCount, Is.EqualTo(2));
    }

    [Test]
    public async Task Cancelling_stops_a_waiting_request_promptly()
    {
        Server.Reply = FakeReplies.Answering(_ => "never").WithLatency(TimeSpan.FromSeconds(30));
        using var llm = FakeServerClients.OpenAI(Server);
        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));
        var clock = Stopwatch.StartNew();

        Assert.That(async () => await llm.GetResponseAsync("hi", cancellationToken: cancel.Token), Throws.InstanceOf<OperationCanceledException>());

        Assert.That(clock.Elapsed, Is.LessThan(TimeSpan.FromSeconds(5)));
        Assert.That(Server.RequestCount, Is.EqualTo(1), "a cancelled request is not retried");
    }

    [Test]
    public async Task The_request_rate_limit_spaces_requests()
    {
        Server.Reply = FakeReplies.Answering(_ => "ok");
        using var llm = FakeServerClients.OpenAI(Server, resilience: FakeServerClients.FastRetries with { RequestsPerMinute = 600 });

        await Task.WhenAll(Enumerable.Range(0, 11).Select(i => llm.GetResponseAsync($"hi {i}")));

        // 600 a minute is one every 100 ms: eleven requests span at least a second.
        var requests = Server.Requests;
        Assert.That(requests[^1].ReceivedAt - requests[0].ReceivedAt, Is.GreaterThanOrEqualTo(TimeSpan.FromMilliseconds(900)));
    }

    [Test]
    public async Task The_token_rate_limit_holds_requests_back_once_the_budget_is_spent()
    {
        Server.Reply = FakeReplies.Answering(_ => "ok");
        // 60,000 a minute: a bucket of 10,000 tokens refilled by 1,000 a second. Each request is
        // charged about 1,000 (its output limit), so ten go at once and the rest one a second.
        using var llm = FakeServerClients.OpenAI(Server, resilience: FakeServerClients.FastRetries with { TokensPerMinute = 60_000 });
        var options = new ChatOptions { MaxOutputTokens = 1000 };

        await Task.WhenAll(Enumerable.Range(0, 12).Select(i => llm.GetResponseAsync($"hi {i}", options)));

        var arrivals = Server.Requests.Select(r => r.ReceivedAt).Order().ToList();
        Assert.That(arrivals[8] - arrivals[0], Is.LessThan(TimeSpan.FromMilliseconds(500)), "the bucket's budget goes at once");
        Assert.That(arrivals[^1] - arrivals[0], Is.GreaterThanOrEqualTo(TimeSpan.FromMilliseconds(1500)), "then a request per second");
    }

    [Test]
    public void Options_out_of_range_name_the_setting()
    {
        Assert.That(() => new ResilienceOptions { MaxConcurrentRequests = 0 }.Validate(),
            Throws.TypeOf<ArgumentOutOfRangeException>().With.Property("ParamName").EqualTo("MaxConcurrentRequests"));
        Assert.That(() => new ResilienceOptions { MaxDelay = TimeSpan.FromMilliseconds(1) }.Validate(),
            Throws.TypeOf<ArgumentOutOfRangeException>().With.Property("ParamName").EqualTo("MaxDelay"));
    }

    [TestCase("2", 2000)]
    [TestCase("0.5", 500)]
    [TestCase("soon", null)]
    public void Retry_After_seconds_are_read(string header, int? expectedMs) =>
        Assert.That(TransientFaults.ParseRetryAfter(header), Is.EqualTo(expectedMs is { } ms ? TimeSpan.FromMilliseconds(ms) : (TimeSpan?)null));

    [Test]
    public void Retry_After_dates_are_read_as_the_wait_until_then()
    {
        var wait = TransientFaults.ParseRetryAfter(DateTimeOffset.UtcNow.AddSeconds(30).ToString("R"));
        Assert.That(wait, Is.InRange(TimeSpan.FromSeconds(28), TimeSpan.FromSeconds(30)));
    }
}
