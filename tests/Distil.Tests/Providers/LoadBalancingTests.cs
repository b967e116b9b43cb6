using System.Text.Json.Nodes;
using Distil.OpenAI;
using Distil.Tasks;
using Distil.Testing;
using Distil.Tests.Support;
using Microsoft.Extensions.AI;
using NUnit.Framework;

namespace Distil.Tests.Providers;

/// <summary>One model on three local servers (fast, slow, failing), through <c>endpoint:URL1,URL2,URL3#model</c>.</summary>
[NonParallelizable]
public class LoadBalancingTests
{
    private FakeOpenAIServer _fast = null!;
    private FakeOpenAIServer _slow = null!;
    private FakeOpenAIServer _failing = null!;

    [SetUp]
    public async Task StartServers()
    {
        _fast = await FakeOpenAIServer.StartAsync();
        _slow = await FakeOpenAIServer.StartAsync();
        _failing = await FakeOpenAIServer.StartAsync();
        _fast.Reply = FakeReplies.Answering(r => "fast: " + r.LastMessage);
        _slow.Reply = FakeReplies.Answering(r => "slow: " + r.LastMessage).WithLatency(TimeSpan.FromMilliseconds(250));
        _failing.Reply = FakeReplies.Outage(503);
    }

    [TearDown]
    public async Task StopServers()
    {
        await _fast.DisposeAsync();
        await _slow.DisposeAsync();
        await _failing.DisposeAsync();
    }

    private string Spec => $"endpoint:{_fast.BaseUrl},{_slow.BaseUrl},{_failing.BaseUrl}#fake-model";

    private ChatClientFactory Factory(TimeSpan ejection) => new ChatClientFactory
    {
        Resilience = FakeServerClients.FastRetries,
        LoadBalancing = new LoadBalancerOptions { EjectionTime = ejection, ServerTimeout = TimeSpan.FromSeconds(10) },
    }.AddOpenAI();

    private static IEnumerable<JsonObject> Questions(int count, int from = 0) =>
        Enumerable.Range(from, count).Select(i => new JsonObject { ["instruction"] = $"question {i}" });

    [Test]
    public async Task Every_row_is_answered_the_failing_server_is_ejected_and_the_slow_one_gets_fewer_calls()
    {
        using var llm = Factory(ejection: TimeSpan.FromSeconds(30)).Create(Spec);

        var rows = await new TextGeneration { Llm = llm, MaxConcurrency = 12 }.ProcessAsync(Questions(300)).ToListAsync();

        Assert.That(rows.Select(r => (string?)r["generation"]), Has.All.Not.Null, "every row answered");
        var servers = llm.GetService<LoadBalancingChatClient>()!.Servers;
        Assert.That(servers.Select(s => s.Name), Is.EqualTo(new[] { _fast.BaseUrl, _slow.BaseUrl, _failing.BaseUrl }.Select(u => u.AbsoluteUri.TrimEnd('/'))));
        // Ejected after three failures in a row; the calls already in flight to it when that happens
        // (the first calls spread evenly over the three servers) fail over too.
        Assert.That(_failing.RequestCount, Is.LessThanOrEqualTo(8), "a small share of the 300 calls");
        Assert.That(servers[2].State, Is.EqualTo(ServerState.Ejected));
        Assert.That(servers[2].Ejections, Is.EqualTo(1));
        Assert.That(_slow.RequestCount, Is.GreaterThan(0).And.LessThan(_fast.RequestCount / 4), "the slow server holds its calls longer, so it gets fewer");
        Assert.That(_fast.RequestCount + _slow.RequestCount, Is.EqualTo(300), "each failed call went to another server, not to the failing one again");
        Assert.That(servers.Sum(s => s.Answered), Is.EqualTo(300));
    }

    [Test]
    public async Task A_server_that_recovers_is_probed_and_used_again()
    {
        var recovered = false;
        _failing.Reply = r => recovered ? new FakeReply.Answer("back: " + r.LastMessage) : new FakeReply.ServerError(503);
        using var llm = Factory(ejection: TimeSpan.FromMilliseconds(200)).Create(Spec);
        var task = new TextGeneration { Llm = llm, MaxConcurrency = 6 };

        await task.ProcessAsync(Questions(30)).ToListAsync();
        var balancer = llm.GetService<LoadBalancingChatClient>()!;
        Assert.That(balancer.Servers[2].Ejections, Is.GreaterThanOrEqualTo(1));
        recovered = true;
        await Task.Delay(TimeSpan.FromMilliseconds(600)); // past any ejection of this run (200 ms, doubled once or twice)
        var answered = balancer.Servers[2].Answered;

        var rows = await task.ProcessAsync(Questions(200, from: 30)).ToListAsync();

        Assert.That(rows.Select(r => (string?)r["generation"]), Has.All.Not.Null);
        Assert.That(balancer.Servers[2].Answered - answered, Is.GreaterThan(20), "after its probe it takes its share again");
        Assert.That(balancer.Servers[2].State, Is.EqualTo(ServerState.Healthy));
    }

    [Test]
    public async Task Per_server_bounds_hold()
    {
        _slow.Reply = FakeReplies.Answering(r => "slow").WithLatency(TimeSpan.FromMilliseconds(100));
        var factory = Factory(TimeSpan.FromSeconds(30));
        factory.LoadBalancing = factory.LoadBalancing! with { MaxConcurrentPerServer = 2 };
        using var llm = factory.Create($"endpoint:{_slow.BaseUrl},{_fast.BaseUrl}#fake-model");

        await new TextGeneration { Llm = llm, MaxConcurrency = 16 }.ProcessAsync(Questions(40)).ToListAsync();

        Assert.That(_slow.PeakInFlight, Is.LessThanOrEqualTo(2));
        Assert.That(_fast.PeakInFlight, Is.LessThanOrEqualTo(2));
    }

    [TestCase("endpoint:http://a:8000/v1,,http://b:8000/v1#m", "has an empty URL (URL 2 of 3)")]
    [TestCase("endpoint:http://a:8000/v1,ftp://b/v1#m", "'ftp://b/v1' (URL 2 of 2) in")]
    [TestCase("endpoint:http://a:8000/v1,http://a:8000/v1/#m", "'http://a:8000/v1/' (URL 2 of 2) is listed twice")]
    [TestCase("endpoint:http://a:8000/v1,http://b:8000/v1", "names no model")]
    public void A_malformed_list_is_refused_naming_the_bad_part(string spec, string message) =>
        Assert.That(() => ModelSpec.Parse(spec), Throws.TypeOf<ModelSpecException>().With.Message.Contains(message));

    [Test]
    public async Task The_command_refuses_a_malformed_list_with_exit_code_2()
    {
        using var folder = new TempFolder("distil-lb-");
        var work = folder.Path;
        var input = Path.Combine(work, "q.jsonl");
        File.WriteAllText(input, "{\"instruction\":\"q\"}\n");
        var (exitCode, error) = await ChildProgram.Distil.RunAsync("run", "--task", "text_generation", "--input", input, "--output", Path.Combine(work, "o.jsonl"),
            "--model", $"endpoint:{_fast.BaseUrl},not-a-url#m");

        Assert.That(exitCode, Is.EqualTo(2));
        Assert.That(error, Does.Contain("'not-a-url' (URL 2 of 2)").And.Contain("is not an http(s) URL"));
        Assert.That(_fast.RequestCount, Is.Zero);
    }
}
