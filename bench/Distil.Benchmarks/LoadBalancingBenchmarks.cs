using System.Text.Json.Nodes;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Engines;
using Distil.OpenAI;
using Microsoft.Extensions.AI;

namespace Distil.Benchmarks;

/// <summary>
/// One model on four servers: each fake server (its own process) answers after exactly 200 ms, and
/// the balanced client keeps 64 calls in flight on each, so the ideal is 4 × 64 / 0.2 s = 1,280
/// requests a second. Side by side, the same ideal from one server at 64 calls and 50 ms. Each
/// operation sends <see cref="Requests"/> requests through a task.
/// </summary>
[Config(typeof(Config))]
[SimpleJob(RunStrategy.Monitoring, launchCount: 1, warmupCount: 2, iterationCount: 10)]
public class LoadBalancingBenchmarks
{
    public const int PerServer = 64;
    public const int Servers = 4;
    public const int Requests = 2560;
    public const double Ideal = 1280;

    private FakeServerProcess[] _slowServers = null!;
    private FakeServerProcess _fastServer = null!;
    private IChatClient _balanced = null!;
    private IChatClient _single = null!;
    private JsonObject[] _rows = null!;

    [GlobalSetup]
    public void Setup()
    {
        _slowServers = Enumerable.Range(0, Servers).Select(_ => FakeServerProcess.Start(TimeSpan.FromMilliseconds(200))).ToArray();
        _fastServer = FakeServerProcess.Start(TimeSpan.FromMilliseconds(50));
        var factory = new ChatClientFactory
        {
            Resilience = new ResilienceOptions(),
            LoadBalancing = new LoadBalancerOptions { MaxConcurrentPerServer = PerServer },
        }.AddOpenAI();
        _balanced = factory.Create($"endpoint:{string.Join(",", _slowServers.Select(s => s.BaseUrl))}#fake-model");
        _single = factory.Create($"endpoint:{_fastServer.BaseUrl}#fake-model");
        _rows = Enumerable.Range(0, Requests).Select(i => new JsonObject { ["id"] = i, ["text"] = $"row {i}" }).ToArray();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        foreach (var server in _balanced.GetService<LoadBalancingChatClient>()!.Servers)
        {
            Console.WriteLine($"// {server.Name}: {server.Answered:N0} answered, {server.Failed:N0} failed");
        }
        foreach (var server in _slowServers.Append(_fastServer))
        {
            Console.WriteLine($"// Fake {server.Stop()}");
            server.Dispose();
        }
        _balanced.Dispose();
        _single.Dispose();
    }

    [Benchmark(Baseline = true, Description = "one server, 64 in flight, 50 ms")]
    public Task<int> One_server() => RunAsync(_single, PerServer);

    [Benchmark(Description = "four servers, 64 in flight each, 200 ms")]
    public Task<int> Four_servers() => RunAsync(_balanced, PerServer * Servers);

    private async Task<int> RunAsync(IChatClient llm, int concurrency)
    {
        var task = new ThroughputTask { Llm = llm, MaxConcurrency = concurrency, AddRawInput = false };
        var count = 0;
        await foreach (var row in task.ProcessAsync(_rows))
        {
            if (row["echo"] is null) throw new InvalidOperationException("An answer did not parse: the benchmark would measure failures.");
            count++;
        }
        return count;
    }

    private sealed class Config : ManualConfig
    {
        public Config()
        {
            AddColumn(new RateColumn("Balancing.Requests/s", "Requests/s", "Requests answered per second (mean)", Requests, perSecond => perSecond.ToString("N0")));
            AddColumn(new RateColumn("Balancing.Ideal", "% of ideal", "Share of the ideal 1,280 requests per second", Requests, perSecond => (perSecond / Ideal).ToString("P1")));
        }
    }
}
