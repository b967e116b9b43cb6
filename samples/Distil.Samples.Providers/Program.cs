// Distil providers sample: one task, any provider, run the way long jobs should be run — retries
// with backoff, a concurrency limit, a response cache that makes a rerun free, and re-asking an
// answer that breaks a rule instead of losing the row.
//
//   dotnet run --project samples/Distil.Samples.Providers
//       runs against a stand-in OpenAI-compatible server on 127.0.0.1 that fails 20% of calls
//   dotnet run --project samples/Distil.Samples.Providers -- --model openai:gpt-4o-mini
//       the same against a real service (any model spec: openai:, endpoint:, local:)
using System.Diagnostics;
using System.Text.Json.Nodes;
using Distil;
using Distil.LlamaSharp;
using Distil.OpenAI;
using Distil.Samples.Providers;
using Distil.Testing;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;

string? modelSpec = null;
for (var i = 0; i < args.Length; i++)
{
    if (args[i] == "--model" && i + 1 < args.Length) modelSpec = args[++i];
    else
    {
        Console.Error.WriteLine($"Unknown or incomplete option '{args[i]}'. Usage: [--model SPEC], e.g. --model openai:gpt-4o-mini");
        return 2;
    }
}

using var loggerFactory = LoggerFactory.Create(b => b
    .AddSimpleConsole(o => { o.SingleLine = true; o.TimestampFormat = "HH:mm:ss.fff "; })
    .SetMinimumLevel(LogLevel.Information));
var logger = loggerFactory.CreateLogger("Distil");

// Without --model, a stand-in server: answers in 20 ms, and one call in five fails the way real
// services fail (429, 500, 503, dropped connection, garbled body). One answer in six breaks the
// task's [Range(1, 5)] with a score of 7; asked again, it answers within the range.
await using var server = modelSpec is null ? await FakeOpenAIServer.StartAsync() : null;
if (server is not null)
{
    server.Reply = FakeReplies
        .Answering(request => request.LastMessage.Length % 6 == 0 && !request.LastMessage.Contains("breaks a rule")
            ? "{\"score\":7,\"reason\":\"off the scale\"}"
            : $"{{\"score\":{1 + request.LastMessage.Length % 5},\"reason\":\"stand-in answer\"}}")
        .WithLatency(TimeSpan.FromMilliseconds(20))
        .WithTransientFaults(0.2, seed: 42);
    modelSpec = $"endpoint:{server.BaseUrl}#stand-in-model";
}

var cachePath = Path.Combine(Path.GetTempPath(), "distil-providers-sample", "responses.db");
if (File.Exists(cachePath)) File.Delete(cachePath); // start cold, so that the second run shows the cache at work
using var cache = ResponseCache.Open(cachePath);

var llms = new ChatClientFactory
{
    Logger = logger,
    Cache = cache,
    Resilience = new ResilienceOptions
    {
        MaxConcurrentRequests = 8,
        BaseDelay = TimeSpan.FromMilliseconds(200), // short for the demo; the default is 1 s
    },
}.AddOpenAI().AddLocalModels();

IChatClient llm;
try
{
    llm = llms.Create(modelSpec!);
}
catch (ModelSpecException error)
{
    Console.Error.WriteLine(error.Message);
    return 2;
}
using var _ = llm;

var sentences = new[]
{
    "The update fixed every crash I had.", "Support never wrote back.", "It is fine, I guess.",
    "Best purchase of the year!", "The battery died after a week.", "Setup took two minutes.",
    "Too loud, too hot, too expensive.", "My kids love it.", "It does what the box says.", "Never again.",
};
var rows = Enumerable.Range(0, 40).Select(i => new JsonObject { ["sentence"] = sentences[i % sentences.Length] + $" (#{i})" }).ToList();

for (var run = 1; run <= 2; run++)
{
    var task = new Sentiment
    {
        Llm = llm,
        Logger = logger,
        MaxConcurrency = 8,
        UseDefaultStructuredOutput = true,
        Reasks = 1, // an answer that cannot be read or breaks a rule is asked again once
        GenerationOptions = new ChatOptions { Temperature = 0.2f, MaxOutputTokens = 200 },
    };
    var calls = server?.RequestCount ?? 0;
    var clock = Stopwatch.StartNew();
    var results = await task.ProcessAsync(rows).ToListAsync();
    var answered = results.Count(r => r["score"] is not null);
    var reasked = results.Count(r => (int?)r[task.MetadataColumn]?[$"reasks_{task.Name}"] > 0);
    Console.WriteLine();
    Console.WriteLine($"Run {run}: {results.Count} rows, {answered} parsed ({reasked} after asking again), in {clock.Elapsed.TotalSeconds:0.00} s" +
        (server is null ? "" : $", {server.RequestCount - calls} HTTP calls") +
        $"; first row: score {results[0]["score"]}, reason \"{results[0]["reason"]}\", model {results[0]["model_name"]}");
    Console.WriteLine();
}
Console.WriteLine($"The second run was answered from the cache at {cachePath}.");
return 0;
