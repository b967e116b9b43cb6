using System.Net.Http.Json;
using System.Text.Json.Nodes;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Engines;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using Distil.OpenAI;
using Distil.Testing;
using Microsoft.Extensions.AI;

namespace Distil.Benchmarks;

/// <summary>
/// How close a task keeps an LLM service to its capacity: the fake server answers every request
/// after exactly 50 ms, so at 64 requests in flight the ideal is 64 / 0.05 s = 1,280 requests a
/// second. Each operation sends <see cref="Requests"/> requests. Arms, in the same run:
/// <list type="bullet">
/// <item>the task over the OpenAI provider with the resilience middleware (what users run);</item>
/// <item>64 loops posting with a bare HttpClient: what this machine's HTTP stack allows at all.</item>
/// </list>
/// </summary>
[Config(typeof(ThroughputConfig))]
[SimpleJob(RunStrategy.Monitoring, launchCount: 1, warmupCount: 2, iterationCount: 10)]
public class ThroughputBenchmarks
{
    public const int Concurrency = 64;
    public const int Requests = 1280;
    public static readonly TimeSpan Latency = TimeSpan.FromMilliseconds(50);

    private FakeServerProcess _server = null!;
    private IChatClient _llm = null!;
    private HttpClient _http = null!;
    private IChatClient _bareLlm = null!;
    private JsonObject[] _rows = null!;
    private TimeSpan _cpuAtStart;

    [GlobalSetup]
    public void Setup()
    {
        _cpuAtStart = System.Diagnostics.Process.GetCurrentProcess().TotalProcessorTime;
        _server = FakeServerProcess.Start(Latency);
        _llm = new ChatClientFactory { Resilience = new ResilienceOptions() }.AddOpenAI().Create($"endpoint:{_server.BaseUrl}#fake-model");
        _http = new HttpClient { BaseAddress = _server.BaseUrl };
        _bareLlm = OpenAIProviders.CreateEndpoint(_server.BaseUrl, "fake-model");
        _rows = Enumerable.Range(0, Requests).Select(i => new JsonObject { ["id"] = i, ["text"] = $"row {i}" }).ToArray();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        // The server's own lateness and CPU, so that the report can tell them from the client's.
        var cpu = System.Diagnostics.Process.GetCurrentProcess().TotalProcessorTime - _cpuAtStart;
        var server = _server.Stop();
        var requests = int.Parse(server.Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture);
        Console.WriteLine($"// Fake {server}; client CPU {cpu.TotalMilliseconds * 1000 / requests:0} µs per request");
        _server.Dispose();
        _llm.Dispose();
        _http.Dispose();
        _bareLlm.Dispose();
    }

    [Benchmark(Description = "Distil task, OpenAI provider + resilience")]
    public async Task<int> Task_through_the_provider()
    {
        var task = new ThroughputTask { Llm = _llm, MaxConcurrency = Concurrency, AddRawInput = false };
        var count = 0;
        await foreach (var row in task.ProcessAsync(_rows))
        {
            if (row["echo"] is null) throw new InvalidOperationException("An answer did not parse: the benchmark would measure failures.");
            count++;
        }
        return count;
    }

    [Benchmark(Description = "M.E.AI OpenAI IChatClient alone, 64 loops")]
    public async Task<int> Chat_client_alone()
    {
        var next = -1;
        var loops = Enumerable.Range(0, Concurrency).Select(async _ =>
        {
            while (Interlocked.Increment(ref next) < Requests)
            {
                var response = await _bareLlm.GetResponseAsync("Item 1: row 1");
                if (response.Text.Length == 0) throw new InvalidOperationException("Empty answer.");
            }
        });
        await Task.WhenAll(loops);
        return Requests;
    }

    [Benchmark(Baseline = true, Description = "bare HttpClient, 64 loops")]
    public async Task<int> Bare_http_client()
    {
        var next = -1;
        var loops = Enumerable.Range(0, Concurrency).Select(async _ =>
        {
            while (Interlocked.Increment(ref next) < Requests)
            {
                using var response = await _http.PostAsJsonAsync("chat/completions", new
                {
                    model = "fake-model",
                    messages = new[] { new { role = "user", content = "Item 1: row 1" } },
                });
                response.EnsureSuccessStatusCode();
                await response.Content.ReadAsByteArrayAsync();
            }
        });
        await Task.WhenAll(loops);
        return Requests;
    }

    /// <summary>Adds the achieved request rate and its share of the ideal 1,280/s to the summary table.</summary>
    private sealed class ThroughputConfig : ManualConfig
    {
        public ThroughputConfig()
        {
            AddColumn(new RateColumn("Throughput.Requests/s", "Requests/s", "Requests answered per second (mean)", Requests, perSecond => perSecond.ToString("N0")));
            AddColumn(new RateColumn("Throughput.Ideal", "% of ideal", "Share of 64 / 0.05 s = 1,280 requests per second", Requests, perSecond => (perSecond / (Concurrency / Latency.TotalSeconds)).ToString("P1")));
        }
    }
}

[Task("throughput_echo")]
[UserPrompt("Item {{ id }}: {{ text }}")]
public sealed partial class ThroughputTask : LlmTask<ThroughputTask.Input, ThroughputTask.Output>
{
    public sealed record Input(int Id, string Text);

    public sealed record Output(string Echo);
}
