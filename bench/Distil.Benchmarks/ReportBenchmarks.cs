using System.Diagnostics;
using System.Text.Json.Nodes;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Engines;
using Distil.Pipelines;
using Microsoft.Extensions.AI;

namespace Distil.Benchmarks;

/// <summary>
/// The run report of a run of 1,000,000 rows (a label, a score, a free text and metadata per
/// row; 2 % of the answers unreadable, 1 % of the calls failed), against reading the same rows
/// from the run store and doing nothing with them: what the report adds to one pass over the store.
/// </summary>
[MemoryDiagnoser]
[SimpleJob(RunStrategy.Monitoring, launchCount: 1, warmupCount: 1, iterationCount: 3)]
public class ReportBenchmarks
{
    public const int Rows = 1_000_000;

    private string _work = null!;
    private PipelineResult _run = null!;

    [GlobalSetup]
    public void Setup()
    {
        _work = Directory.CreateTempSubdirectory("distil-bench-report-").FullName;
        var llm = new AnswerClient();
        var pipeline = Pipeline.Create("report-bench");
        pipeline.RunDirectory = Path.Combine(_work, "run");
        pipeline.Load(Enumerable.Range(0, Rows).Select(i => new JsonObject { ["id"] = i, ["text"] = $"row {i}" }))
            .Then(new ReportBenchTask { Llm = llm, MaxConcurrency = 64 });
        var clock = Stopwatch.StartNew();
        _run = pipeline.RunAsync(new PipelineRunOptions { Progress = ProgressMode.None }).GetAwaiter().GetResult();
        Console.WriteLine($"// Set-up: {Rows:N0} rows in {clock.Elapsed.TotalSeconds:0} s; store {new FileInfo(Path.Combine(_run.RunDirectory, "distil-run.db")).Length / 1e6:0} MB");
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        Console.WriteLine($"// Peak working set of the benchmark process: {Process.GetCurrentProcess().PeakWorkingSet64 / 1e6:0} MB");
        Directory.Delete(_work, recursive: true);
    }

    [Benchmark(Baseline = true, Description = "read the store once, nothing else")]
    public async Task<long> Read_store()
    {
        long rows = 0;
        await foreach (var _ in _run.Dataset.ReadAsync()) rows++;
        return rows == Rows ? rows : throw new InvalidOperationException("Rows went missing.");
    }

    [Benchmark(Description = "write the HTML report")]
    public async Task<long> Write_report()
    {
        var path = await _run.WriteReportAsync(Path.Combine(_work, "report.html"));
        return new FileInfo(path).Length;
    }
}

/// <summary>Answers at once, keeping nothing (a recording client would hold a million requests).</summary>
internal sealed class AnswerClient : IChatClient
{
    public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        var text = messages.Last().Text;
        var id = int.Parse(text.AsSpan(5, text.IndexOf(':') - 5), System.Globalization.CultureInfo.InvariantCulture);
        if (id % 100 == 7) throw new HttpRequestException("Response status code does not indicate success: status 503 (Service Unavailable).");
        var answer = id % 50 == 3
            ? "I cannot answer that."
            : $$"""{"label": "{{(ReportBenchTask.Label)(id % 3)}}", "score": {{id % 10 + 1}}, "comment": "Comment {{new string('x', id % 300)}}"}""";
        return Task.FromResult(new ChatResponse(new ChatMessage(ChatRole.Assistant, answer))
        {
            ModelId = "bench-model",
            Usage = new UsageDetails { InputTokenCount = 20, OutputTokenCount = 30 },
        });
    }

    public IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
        throw new NotSupportedException();

    public object? GetService(Type serviceType, object? serviceKey = null) =>
        serviceKey is null && serviceType == typeof(ChatClientMetadata) ? new ChatClientMetadata("bench", null, "bench-model") : null;

    public void Dispose()
    {
    }
}

[Task("report_bench")]
[UserPrompt("Item {{ id }}: {{ text }}")]
public sealed partial class ReportBenchTask : LlmTask<ReportBenchTask.Input, ReportBenchTask.Output>
{
    public enum Label { Keep, Drop, Review }

    public sealed record Input(int Id, string Text);

    public sealed record Output(Label Label, int Score, string Comment);
}
