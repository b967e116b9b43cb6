// A task that uses tools: the model asks for calls, the runtime runs them and sends the results back,
// and the whole conversation is kept as a typed column (tool_trajectory_trip_planner).
//
//   dotnet run --project samples/Distil.Samples.Tools
//       offline, against a stand-in OpenAI-compatible server on 127.0.0.1 that calls the tools
//   dotnet run --project samples/Distil.Samples.Tools -- --model openai:gpt-4o-mini
//       against a real model (any model spec: openai:, endpoint:URL#MODEL)
//
// Options: --rows N (default 6), --run-dir DIR (default tools-output/run), --output FILE,
// --tool-log FILE (each tool call appends a line), --concurrency N, --timeout SECONDS.
// Kill it mid-run and start it again on the same run directory: no tool call that had finished runs
// again (the run directory journals them beside the model's answers). Against a real model, a second
// run asks nothing and calls nothing; the stand-in starts on a new port each time, which is another
// endpoint, so its answers are asked again but the tools are not. See docs/tools.md.
using Distil;
using Distil.OpenAI;
using Distil.Pipelines;
using Distil.Samples.Tools;
using Distil.Testing;
using Microsoft.Extensions.AI;

string? modelSpec = null, toolLog = null;
var rows = 6;
var concurrency = 4;
var runDirectory = Path.Combine("tools-output", "run");
var output = Path.Combine("tools-output", "trips.jsonl");
var timeout = TimeSpan.FromSeconds(30);
for (var i = 0; i < args.Length; i++)
{
    var value = i + 1 < args.Length ? args[i + 1] : null;
    switch (args[i])
    {
        case "--model" when value is not null: modelSpec = value; i++; break;
        case "--rows" when int.TryParse(value, out rows): i++; break;
        case "--concurrency" when int.TryParse(value, out concurrency): i++; break;
        case "--run-dir" when value is not null: runDirectory = value; i++; break;
        case "--output" when value is not null: output = value; i++; break;
        case "--tool-log" when value is not null: toolLog = value; i++; break;
        case "--timeout" when double.TryParse(value, out var seconds): timeout = TimeSpan.FromSeconds(seconds); i++; break;
        default:
            Console.Error.WriteLine($"Unknown or incomplete option '{args[i]}'. Usage: [--model SPEC] [--rows N] [--run-dir DIR] [--output FILE] [--tool-log FILE] [--concurrency N] [--timeout SECONDS]");
            return 2;
    }
}

// Without --model, a stand-in server that calls the tools as a model would, then answers.
await using var standIn = modelSpec is null ? await FakeOpenAIServer.StartAsync() : null;
if (standIn is not null) standIn.Reply = StandInModel.Reply;
using var llm = new ChatClientFactory().AddOpenAI().Create(modelSpec ?? $"endpoint:{standIn!.BaseUrl}#stand-in");

var planner = new TripPlanner
{
    Llm = llm,
    ToolLog = toolLog,
    MaxConcurrency = concurrency,
    ToolOptions = new ToolOptions { MaxToolRounds = 4, ToolTimeout = timeout, ParallelToolCalls = true },
};
// Any AIFunction is a tool too: here one made from a lambda (MCP servers' tools are AIFunctions as well).
planner.Tools.Add(AIFunctionFactory.Create((string city) => $"{city}: trains every hour.", "trains", "How often trains run to a city."));

var pipeline = Pipeline.Create("trip-plans");
pipeline.RunDirectory = runDirectory;
pipeline.Load(TripPlanner.Trips(rows))
    .Then(planner)
    .Write(output);

var result = await pipeline.RunAsync(new PipelineRunOptions { Progress = ProgressMode.None });
foreach (var row in await result.Dataset.ToListAsync())
{
    var calls = row[planner.TrajectoryColumn]?.AsArray().Count(entry => (string?)entry!["role"] == "tool") ?? 0;
    Console.WriteLine($"{row["city"]}: {row["plan"]} ({calls} tool calls)");
}
var statistics = result.Tasks[planner.Name];
Console.WriteLine($"{statistics.Calls} model calls this run, {statistics.AnswersReused} reused from {runDirectory}.");
foreach (var (tool, used) in statistics.Tools)
{
    Console.WriteLine($"tool {tool}: {used.Calls} calls, {used.Errors} failed, {used.Reused} reused, {used.Elapsed.TotalMilliseconds:0} ms.");
}
Console.WriteLine($"Wrote {Path.GetFullPath(output)}.");
return 0;
