using System.Text.Json.Nodes;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Engines;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using Distil.OpenAI;
using Distil.Pipelines;
using Microsoft.Extensions.AI;

namespace Distil.Benchmarks;

/// <summary>
/// How busy a pipeline keeps an LLM service whose latencies vary: the fake server (its own
/// process) answers after a lognormal delay, median 50 ms, sigma 0.5 (mean 56.7 ms), so at 64
/// calls in flight the ideal is 64 / 0.0567 s ≈ 1,130 requests a second. Arms, in the same run:
/// <list type="bullet">
/// <item>a pipeline: rows → plain step → task (64 in flight, no batch barrier) → plain step, committed to its run store;</item>
/// <item>a batch barrier: 64 requests at a time (the same 64 slots as the ideal), each batch waiting for its slowest answer, as batch-by-batch executors do.</item>
/// </list>
/// </summary>
[Config(typeof(Config))]
[SimpleJob(RunStrategy.Monitoring, launchCount: 1, warmupCount: 1, iterationCount: 4)]
public class PipelineBenchmarks
{
    public const int Concurrency = 64;
    public const int Requests = 6000;
    public const int BarrierBatch = Concurrency;
    public const double Sigma = 0.5;
    public static readonly TimeSpan Median = TimeSpan.FromMilliseconds(50);

    /// <summary>Requests per second if every slot were always busy: concurrency over the mean latency.</summary>
    public static double Ideal => Concurrency / (Median.TotalSeconds * Math.Exp(Sigma * Sigma / 2));

    private FakeServerProcess _server = null!;
    private IChatClient _llm = null!;
    private JsonObject[] _rows = null!;
    private string _runs = null!;

    [GlobalSetup]
    public void Setup()
    {
        _server = FakeServerProcess.Start(Median, Sigma);
        _llm = new ChatClientFactory { Resilience = new ResilienceOptions() }.AddOpenAI().Create($"endpoint:{_server.BaseUrl}#fake-model");
        _rows = Enumerable.Range(0, Requests).Select(i => new JsonObject { ["id"] = i, ["text"] = $"row {i}", ["noise"] = "x" }).ToArray();
        _runs = Directory.CreateTempSubdirectory("distil-bench-pipeline-").FullName;
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        Console.WriteLine($"// Fake {_server.Stop()}");
        _server.Dispose();
        _llm.Dispose();
        Directory.Delete(_runs, recursive: true);
    }

    [Benchmark(Description = "pipeline, 64 in flight, no barrier")]
    public async Task<long> Pipeline_streaming()
    {
        // A fresh run directory each time: a second run would replay the first from its store.
        var pipeline = Pipelines.Pipeline.Create("bench");
        pipeline.RunDirectory = Path.Combine(_runs, Guid.NewGuid().ToString("N"));
        pipeline.Load(_rows)
            .KeepColumns("id", "text")
            .Then(new ThroughputTask { Llm = _llm, MaxConcurrency = Concurrency, AddRawInput = false })
            .KeepColumns("id", "echo");
        var result = await pipeline.RunAsync(new PipelineRunOptions { Progress = ProgressMode.None });
        return result.Dataset.Count == Requests ? Requests : throw new InvalidOperationException("Rows went missing.");
    }

    [Benchmark(Baseline = true, Description = "batch barrier of 64")]
    public async Task<int> Batch_barrier()
    {
        for (var start = 0; start < Requests; start += BarrierBatch)
        {
            var batch = Enumerable.Range(start, Math.Min(BarrierBatch, Requests - start)).Select(_ => _llm.GetResponseAsync("Item 1: row 1"));
            await Task.WhenAll(batch);
        }
        return Requests;
    }

    private sealed class Config : ManualConfig
    {
        public Config()
        {
            AddColumn(new RateColumn("Pipeline.Requests/s", "Requests/s", "Requests answered per second (mean)", Requests, perSecond => perSecond.ToString("N0")));
            AddColumn(new RateColumn("Pipeline.Ideal", "% of ideal", "Share of 64 / mean latency (56.7 ms) ≈ 1,130 requests per second", Requests, perSecond => (perSecond / Ideal).ToString("P1")));
        }
    }
}

/// <summary>
/// One large run for memory: <c>rows</c> rows through plain steps and a task on the fake server
/// (its own process, 1 ms answers, 64 in flight), committed to a run store; prints the peak
/// working set of this process. Memory must not grow with the number of rows.
/// </summary>
internal static class PipelineMemoryRun
{
    public const string Argument = "--pipeline-memory";

    public static async Task RunAsync(int rows)
    {
        using var server = FakeServerProcess.Start(TimeSpan.FromMilliseconds(1));
        using var llm = new ChatClientFactory { Resilience = new ResilienceOptions() }.AddOpenAI().Create($"endpoint:{server.BaseUrl}#fake-model");
        var runs = Directory.CreateTempSubdirectory("distil-bench-memory-").FullName;
        var output = Path.Combine(runs, "out.jsonl");
        try
        {
            var clock = System.Diagnostics.Stopwatch.StartNew();
            var pipeline = Pipelines.Pipeline.Create("memory");
            pipeline.RunDirectory = Path.Combine(runs, "run");
            pipeline.Load(new GeneratedRows(rows))
                .Map(row => { row["text"] = "row " + row["id"]; return row; }, writes: ["text"])
                .Filter(row => (int)row["id"]! % 100 != 99)
                .Then(new ThroughputTask { Llm = llm, MaxConcurrency = 64, AddRawInput = false })
                .KeepColumns("id", "echo")
                .Write(RowSinks.Jsonl(output));
            var result = await pipeline.RunAsync(new PipelineRunOptions { Progress = ProgressMode.None });
            var process = System.Diagnostics.Process.GetCurrentProcess();
            Console.WriteLine(
                $"{rows:N0} input rows, {File.ReadLines(output).LongCount():N0} written in {clock.Elapsed.TotalSeconds:0} s; " +
                $"peak working set {process.PeakWorkingSet64 / 1024.0 / 1024.0:0} MB; run store {new FileInfo(Path.Combine(runs, "run", "distil-run.db")).Length / 1024.0 / 1024.0:0} MB; " +
                $"completed: {result.Completed}");
            Console.WriteLine($"// Fake {server.Stop()}");
        }
        finally
        {
            Directory.Delete(runs, recursive: true);
        }
    }

    /// <summary>Rows made on the fly, so that the source itself holds none in memory.</summary>
    private sealed class GeneratedRows(int count) : IRowSource
    {
        public string Describe() => $"{count} generated rows";

        public async IAsyncEnumerable<JsonObject> ReadAsync([System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
        {
            for (var i = 0; i < count; i++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                yield return new JsonObject { ["id"] = i };
            }
            await Task.CompletedTask;
        }

        public ValueTask<long?> CountAsync(CancellationToken cancellationToken) => ValueTask.FromResult<long?>(count);
    }
}
