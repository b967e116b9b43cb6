using System.Diagnostics;
using System.Text.Json.Nodes;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Engines;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using Distil.Pipelines;
using Distil.View;

namespace Distil.Benchmarks;

/// <summary>
/// <c>distil view</c> over a run directory of 1,000,000 committed rows (the run of <see cref="ReportBenchmarks"/>: a label,
/// a score, a comment and metadata per row; 1 % of the calls failed, 2 % of the answers unreadable): what the page waits
/// for, asked over HTTP of the real view (Kestrel on 127.0.0.1, the index beside the store, the review labels), against
/// the bare round trip of the same server. The set-up writes the run and builds the index, and says how long each took.
/// </summary>
[MemoryDiagnoser]
[Config(typeof(InProcessMonitoring))]
public class ViewBenchmarks
{
    // In this process: every benchmark reads the one run directory the first set-up wrote (a million rows take a minute
    // to write and another to index), and asks it over real HTTP all the same.
    private sealed class InProcessMonitoring : ManualConfig
    {
        public InProcessMonitoring() => AddJob(Job.Default.WithStrategy(RunStrategy.Monitoring).WithLaunchCount(1).WithWarmupCount(2).WithIterationCount(10)
            .WithToolchain(new InProcessEmitToolchain(TimeSpan.FromMinutes(30), logOutput: true)));
    }

    public const int Rows = ReportBenchmarks.Rows;
    private const string Step = "report_bench";

    private string _work = null!;
    private RunView _view = null!;
    private HttpClient _http = null!;

    [GlobalSetup]
    public void Setup()
    {
        // BenchmarkDotNet runs each benchmark in a process of its own, each with this set-up: the run (and the view's index
        // beside it) is written once, to a folder kept between them, and the later set-ups find it done.
        _work = Path.Combine(Path.GetTempPath(), $"distil-bench-view-{Rows}");
        var runDirectory = Path.Combine(_work, "run");
        var done = Path.Combine(_work, "written");
        var clock = Stopwatch.StartNew();
        if (!File.Exists(done))
        {
            // A set-up stopped halfway left a run directory: the pipeline resumes it.
            var pipeline = Pipeline.Create("view-bench");
            pipeline.RunDirectory = runDirectory;
            pipeline.Load(Enumerable.Range(0, Rows).Select(i => new JsonObject { ["id"] = i, ["text"] = $"row {i}" }))
                .Then(new ReportBenchTask { Llm = new AnswerClient(), MaxConcurrency = 64 });
            pipeline.RunAsync(new PipelineRunOptions { Progress = ProgressMode.None }).GetAwaiter().GetResult();
            File.WriteAllText(done, "");
            Console.WriteLine($"// Set-up: {Rows:N0} rows written in {clock.Elapsed.TotalSeconds:0} s; store {new FileInfo(Path.Combine(runDirectory, RunDirectoryReader.StoreFileName)).Length / 1e6:0} MB (kept in {_work} for the next benchmarks; delete it after)");
        }
        clock.Restart();
        // A long interval: the benchmark builds the index itself (RefreshAsync), and then nothing else writes it.
        _view = RunView.StartAsync(runDirectory, new RunViewOptions { RefreshInterval = TimeSpan.FromHours(1) }).GetAwaiter().GetResult();
        _view.RefreshAsync().GetAwaiter().GetResult();
        var index = Path.Combine(runDirectory, ViewIndex.FileName);
        Console.WriteLine($"// Set-up: the view's index of {Rows:N0} rows brought up to date in {clock.Elapsed.TotalSeconds:0} s; index {new FileInfo(index).Length / 1e6:0} MB (+ WAL {(File.Exists(index + "-wal") ? new FileInfo(index + "-wal").Length : 0) / 1e6:0} MB)");
        _http = new HttpClient { BaseAddress = _view.Address };
        // A few labels, so that pages look them up as they would in use.
        using var review = RunReview.Open(runDirectory);
        for (var i = 0; i < 1000; i += 7) review.SetVerdict(Step, i.ToString(System.Globalization.CultureInfo.InvariantCulture), i % 2 == 0 ? ReviewVerdict.Accepted : ReviewVerdict.Rejected);
        foreach (var address in new[] { FirstPage, Failed, Label, ScoreRange, Search, SortByScore, Row }) Check(address);
    }

    private const string FirstPage = "api/rows?step=report_bench";
    private const string Failed = "api/rows?step=report_bench&flags=failed";
    private const string Label = "api/rows?step=report_bench&eq=label%3DDrop";
    private const string ScoreRange = "api/rows?step=report_bench&range=score%3D4..6";
    private const string Search = "api/rows?step=report_bench&q=row%20765432";
    private const string SortByScore = "api/rows?step=report_bench&sort=score&desc=1";
    private const string Row = "api/row?step=report_bench&key=765432";

    private void Check(string address)
    {
        var body = _http.GetStringAsync(address).GetAwaiter().GetResult();
        var answer = JsonNode.Parse(body)!;
        if (answer["error"] is not null || (answer["total"] is { } total && (long)total! == 0)) throw new InvalidOperationException($"{address}: {body[..Math.Min(400, body.Length)]}");
        Console.WriteLine($"// {address}: total {answer["total"]?.ToJsonString() ?? "(one row)"}");
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        Console.WriteLine($"// Peak working set of the benchmark process: {Process.GetCurrentProcess().PeakWorkingSet64 / 1e6:0} MB");
        _http.Dispose();
        _view.DisposeAsync().AsTask().GetAwaiter().GetResult();
    }

    [Benchmark(Baseline = true, Description = "the page's stylesheet (the bare round trip)")]
    public Task<string> Stylesheet() => _http.GetStringAsync("app.css");

    [Benchmark(Description = "the run summary (/api/run: log, steps, index counts)")]
    public Task<string> Summary() => _http.GetStringAsync("api/run");

    [Benchmark(Description = "first page (50 rows of 1,000,000, with the total)")]
    public Task<string> First_page() => _http.GetStringAsync(FirstPage);

    [Benchmark(Description = "filter: failed rows")]
    public Task<string> Failed_rows() => _http.GetStringAsync(Failed);

    [Benchmark(Description = "filter: label = Drop")]
    public Task<string> Label_equals() => _http.GetStringAsync(Label);

    [Benchmark(Description = "filter: 4 <= score <= 6")]
    public Task<string> Score_range() => _http.GetStringAsync(ScoreRange);

    [Benchmark(Description = "search: 'row 765432'")]
    public Task<string> Text_search() => _http.GetStringAsync(Search);

    [Benchmark(Description = "sort: score, descending")]
    public Task<string> Sort_by_score() => _http.GetStringAsync(SortByScore);

    [Benchmark(Description = "one row (from the run store by its commit)")]
    public Task<string> One_row() => _http.GetStringAsync(Row);
}
