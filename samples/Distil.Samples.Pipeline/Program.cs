// Distil pipeline sample: questions stream through a generation task and a judge, the answers are
// written to a JSONL file, and every finished row is committed to a run directory — stop it with
// Ctrl+C (once: gracefully; twice: at once) or kill it, run it again, and it resumes without
// asking the model again for finished rows.
//
//   dotnet run --project samples/Distil.Samples.Pipeline
//       against a stand-in OpenAI-compatible server on 127.0.0.1 (answers in ~20 ms)
//   dotnet run --project samples/Distil.Samples.Pipeline -- --model openai:gpt-4o-mini --rows 50
//       against a real service (any model spec: openai:, endpoint:URL#MODEL, local:PATH)
//
// Options: --model SPEC, --rows N (default 300), --concurrency N (default 16), --run-dir DIR,
// --out FILE (default pipeline-output/answers.jsonl), --param step.name=value (repeatable),
// --fresh (delete the run directory first), --batch (send the requests through the Batch API,
// waiting for the batches; the stand-in server has one too), --no-wait (with --batch: submit or
// check the batches and stop; the same command later collects them), --hf DIR (also write the
// dataset in the Hugging Face layout: Parquet shards and a dataset card), --dry-run (print every
// step's columns and types, and each task's calls, tokens and cost; call nothing), --servers N
// (N stand-in replicas of the model, balanced: endpoint:URL1,URL2#model), --shard I/N (one shard of
// the rows, with its own run directory and output; merge them with 'distil merge'). After a run,
// an HTML report of it is written to pipeline-output/report.html.
using System.Text.Json.Nodes;
using Distil;
using Distil.LlamaSharp;
using Distil.OpenAI;
using Distil.Pipelines;
using Distil.Tasks;
using Distil.Testing;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;

string? modelSpec = null;
var rowCount = 300;
var concurrency = 16;
string? runDirectory = null;
var output = Path.Combine("pipeline-output", "answers.jsonl");
var parameters = new List<string>();
var fresh = false;
var batch = false;
var waitForBatches = true;
string? huggingFace = null;
var dryRun = false;
var servers = 1;
Shard? shard = null;
for (var i = 0; i < args.Length; i++)
{
    switch (args[i])
    {
        case "--model" when i + 1 < args.Length: modelSpec = args[++i]; break;
        case "--rows" when i + 1 < args.Length && int.TryParse(args[i + 1], out var rows) && rows > 0: rowCount = rows; i++; break;
        case "--concurrency" when i + 1 < args.Length && int.TryParse(args[i + 1], out var c) && c > 0: concurrency = c; i++; break;
        case "--run-dir" when i + 1 < args.Length: runDirectory = args[++i]; break;
        case "--out" when i + 1 < args.Length: output = args[++i]; break;
        case "--param" when i + 1 < args.Length: parameters.Add(args[++i]); break;
        case "--fresh": fresh = true; break;
        case "--batch": batch = true; break;
        case "--no-wait": waitForBatches = false; break;
        case "--hf" when i + 1 < args.Length: huggingFace = args[++i]; break;
        case "--dry-run": dryRun = true; break;
        case "--servers" when i + 1 < args.Length && int.TryParse(args[i + 1], out var n) && n > 0: servers = n; i++; break;
        case "--shard" when i + 1 < args.Length:
            try { shard = Shard.Parse(args[++i]); } catch (FormatException error) { Console.Error.WriteLine(error.Message); return 2; }
            break;
        default:
            Console.Error.WriteLine($"Unknown or incomplete option '{args[i]}'. Usage: [--model SPEC] [--rows N] [--concurrency N] [--run-dir DIR] [--out FILE] [--param step.name=value] [--fresh] [--batch [--no-wait]] [--hf DIR] [--dry-run] [--servers N] [--shard I/N]");
            return 2;
    }
}

using var loggerFactory = LoggerFactory.Create(b => b
    .AddSimpleConsole(o => { o.SingleLine = true; o.TimestampFormat = "HH:mm:ss "; })
    .SetMinimumLevel(LogLevel.Information));
var logger = loggerFactory.CreateLogger("Distil");

// Without --model, stand-in servers (one, or --servers N replicas of one model, balanced) that
// answer every prompt after ~20 ms.
var standIns = new List<FakeOpenAIServer>();
for (var s = 0; modelSpec is null && s < servers; s++)
{
    var standIn = await FakeOpenAIServer.StartAsync();
    standIn.KeepRequestLog = false;
    standIn.Reply = FakeReplies
        .Answering(request => request.LastMessage.Contains("[1] Score", StringComparison.Ordinal) || request.LastMessage.Contains("Score each", StringComparison.Ordinal)
            ? "[1] Score: " + (1 + request.LastMessage.Length % 5)
            : "A stand-in answer to: " + request.LastMessage.Split('\n')[^1])
        .WithLognormalLatency(TimeSpan.FromMilliseconds(20), 0.5, seed: 1);
    standIns.Add(standIn);
}
await using var stopStandIns = new StandIns(standIns);
var server = standIns.FirstOrDefault();
if (server is not null) modelSpec = $"endpoint:{string.Join(",", standIns.Select(s => s.BaseUrl))}#stand-in-model";

IChatClient llm;
try
{
    llm = new ChatClientFactory { Logger = logger }.AddOpenAI().AddLocalModels().Create(modelSpec!);
    // Offline batches: half the price, answered within 24 h; the pipeline submits, tracks and collects them.
    if (batch) llm = llm.UseOfflineBatchGeneration(new OfflineBatchOptions { PollInterval = TimeSpan.FromSeconds(server is null ? 30 : 0.2) });
}
catch (Exception error) when (error is ModelSpecException or ArgumentException)
{
    Console.Error.WriteLine(error.Message);
    return 2;
}
using var _ = llm;

var topics = new[] { "volcanoes", "compound interest", "photosynthesis", "binary search", "the French Revolution", "tides", "vaccines", "black holes" };
var questions = Enumerable.Range(0, rowCount)
    .Select(i => new Question(i, $"Question {i}: explain {topics[i % topics.Length]} to a twelve-year-old."));

var pipeline = Pipeline.Create("questions-and-answers");
pipeline.Logger = logger;
if (runDirectory is not null) pipeline.RunDirectory = runDirectory;
// A shard (of a run split over machines) has its own run directory and outputs; 'distil merge' joins them.
if (shard is not null)
{
    pipeline.RunDirectory = shard.Suffix(pipeline.RunDirectoryPath, isFolder: true);
    output = shard.Suffix(output);
    if (huggingFace is not null) huggingFace = shard.Suffix(huggingFace, isFolder: true);
}
if (fresh && Directory.Exists(pipeline.RunDirectoryPath)) Directory.Delete(pipeline.RunDirectoryPath, recursive: true);

// Typed rows: the build follows the columns from Question through every step below, so a step
// that reads a column nothing writes (try KeepColumns("genration")) is a build error, DISTIL016.
var judged = pipeline.Load(questions)
    .Then(new TextGeneration { Name = "answer", Llm = llm, MaxConcurrency = concurrency, SystemPrompt = "You explain things simply." })
    .Map(row => { row["responses"] = new JsonArray(row["generation"]?.DeepClone()); return row; }, reads: ["generation"], writes: ["responses"])
    .Then(new QualityScorer { Name = "judge", Llm = llm, MaxConcurrency = concurrency });
judged.KeepColumns("id", "instruction", "generation", "scores").Write(RowSinks.Jsonl(output), "answers");
// The whole rows, typed from the tasks' records (scores as list<double>, the metadata as a struct).
if (huggingFace is not null) judged.Write(RowSinks.HuggingFace(huggingFace), "dataset");

if (dryRun)
{
    // The stand-in model's made-up price, to show the cost range; give real ones for real models.
    var prices = new PriceTable().Set("stand-in-model", 0.15m, 0.60m);
    Console.WriteLine(await pipeline.EstimateAsync(new EstimateOptions { Prices = prices, Parameters = parameters.Count > 0 ? RuntimeParameters.Parse(parameters) : null }));
    return 0;
}

using var stop = ConsoleStop.Install();
// The live view reads the run directory while the run writes it: start it in another terminal to watch and review.
Console.WriteLine($"Watch the run and review its rows: distil view {Quoted(pipeline.RunDirectoryPath)}");
try
{
    var result = await pipeline.RunAsync(
        new PipelineRunOptions { GracefulStop = stop.Graceful, WaitForBatches = batch && waitForBatches, Parameters = parameters.Count > 0 ? RuntimeParameters.Parse(parameters) : null, Shard = shard },
        stop.Immediate);
    Console.WriteLine(result.Completed
        ? $"Wrote {result.Datasets["answers"].Count} rows to {Path.GetFullPath(output)} in {result.Elapsed.TotalSeconds:0.0} s (run directory: {result.RunDirectory})."
        : $"Stopped early; {result.Datasets["answers"].Count} rows are finished in {result.RunDirectory}. Run the same command again to finish.");
    var reportPath = Path.Combine("pipeline-output", "report.html");
    var report = await result.WriteReportAsync(shard?.Suffix(reportPath) ?? reportPath);
    Console.WriteLine($"Report of the run: {report}");
    Console.WriteLine($"Review its rows (accept, reject, correct) and export them: distil view {Quoted(result.RunDirectory)}");
    foreach (var standIn in llm.GetService<LoadBalancingChatClient>()?.Servers ?? [])
    {
        Console.WriteLine($"  server {standIn.Name}: {standIn.Answered} answered, {standIn.Failed} failed");
    }
    return 0;
}
catch (OperationCanceledException)
{
    Console.Error.WriteLine("Stopped. Finished rows are kept; run the same command again to resume.");
    return 130;
}
catch (Exception error) when (error is PipelineException or FormatException)
{
    Console.Error.WriteLine(error.Message);
    return 2;
}

// A path as a shell reads it: quoted when it holds a space or a quote.
static string Quoted(string path) => path.IndexOfAny([' ', '\'', '"']) < 0 ? path : "'" + path.Replace("'", "'\\''") + "'";

/// <summary>Stops the stand-in servers when the sample ends.</summary>
internal sealed class StandIns(List<FakeOpenAIServer> servers) : IAsyncDisposable
{
    public async ValueTask DisposeAsync()
    {
        foreach (var server in servers) await server.DisposeAsync();
    }
}

/// <summary>The rows the pipeline starts from: columns <c>id</c> and <c>instruction</c>.</summary>
internal sealed record Question(int Id, string Instruction);
