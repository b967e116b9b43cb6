// Your own step and task in a pipeline: Load<Ticket> -> Tidy (a [Step]) -> Urgency (a [Task]) -> write.
//
//   dotnet run --project samples/Distil.Samples.CustomSteps
//       against a stand-in OpenAI-compatible server on 127.0.0.1 that answers every ticket
//   dotnet run --project samples/Distil.Samples.CustomSteps -- --model openai:gpt-4o-mini
//       against a real model (any model spec: openai:, endpoint:URL#MODEL)
//
// The same step and task from a pipeline file, with the distil tool (docs/cli.md) and this
// project's built assembly:
//
//   dotnet build samples/Distil.Samples.CustomSteps
//   distil run --pipeline samples/Distil.Samples.CustomSteps/pipeline.json \
//       --assembly samples/Distil.Samples.CustomSteps/bin/Debug/net10.0/Distil.Samples.CustomSteps.dll \
//       --model endpoint:http://127.0.0.1:8089/v1#any
//   (a stand-in to try it: distil fake-server --port 8089 --answer '{"urgency": 3, "reason": "ok"}')
//
// Try a mistake: make Urgency.Input read `string Text` instead of `string CleanText`, and the build
// fails at the `.Then(new Urgency ...)` line (DISTIL016), naming the column and offering clean_text.
using Distil;
using Distil.OpenAI;
using Distil.Pipelines;
using Distil.Samples.CustomSteps;
using Distil.Testing;

string? modelSpec = null;
for (var i = 0; i < args.Length; i++)
{
    if (args[i] == "--model" && i + 1 < args.Length) modelSpec = args[++i];
    else
    {
        Console.Error.WriteLine($"Unknown or incomplete option '{args[i]}'. Usage: [--model SPEC]");
        return 2;
    }
}

// Without --model, a stand-in server that judges every ticket "3".
await using var standIn = modelSpec is null ? await FakeOpenAIServer.StartAsync() : null;
if (standIn is not null) standIn.Reply = FakeReplies.Answering(_ => """{"urgency": 3, "reason": "A stand-in answer."}""");
using var llm = new ChatClientFactory().AddOpenAI().Create(modelSpec ?? $"endpoint:{standIn!.BaseUrl}#stand-in");

var folder = AppContext.BaseDirectory;
var pipeline = Pipeline.Create("ticket-urgency");
pipeline.RunDirectory = Path.Combine("custom-steps-output", "run");
pipeline.Load<Ticket>(RowSources.File(Path.Combine(folder, "tickets.jsonl")))
    .Then(new Tidy { MaxLength = 120 })
    .Then(new Urgency { Llm = llm, UseDefaultStructuredOutput = true })
    .Write(Path.Combine("custom-steps-output", "urgency.jsonl"));

var result = await pipeline.RunAsync(new PipelineRunOptions { Progress = ProgressMode.None });
foreach (var row in await result.Dataset.ToListAsync())
{
    Console.WriteLine($"{row["id"]}: urgency {row["urgency"]?.ToJsonString() ?? "-"} ({row["length"]} chars) {row["clean_text"]}");
}
Console.WriteLine($"Wrote {Path.GetFullPath(Path.Combine("custom-steps-output", "urgency.jsonl"))}.");
return 0;
