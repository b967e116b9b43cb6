// Distil catalogue sample: built-in tasks over a few rows — score candidate answers with
// UltraFeedback, judge them against each other with Prometheus, evolve the instructions with
// Evol-Instruct (several dependent calls per row), on a local model make new instructions from
// nothing with Magpie, and use a judge as a Microsoft.Extensions.AI.Evaluation IEvaluator.
//
//   dotnet run --project samples/Distil.Samples.Catalogue
//       the tiny random model in samples/models (prompts and plumbing are real, its words are not)
//   dotnet run --project samples/Distil.Samples.Catalogue -- --model openai:gpt-4o-mini
//       any model spec: openai:, endpoint:URL#MODEL, local:PATH
using System.Text.Json.Nodes;
using Distil;
using Distil.LlamaSharp;
using Distil.OpenAI;
using Distil.Tasks;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.AI.Evaluation;

var spec = args is ["--model", var given] ? given : "local:" + TinyModel();
if (args.Length > 0 && args is not ["--model", _])
{
    Console.Error.WriteLine("Usage: [--model SPEC], e.g. --model openai:gpt-4o-mini");
    return 2;
}

IChatClient llm;
try
{
    llm = new ChatClientFactory().AddOpenAI().AddLocalModels(contextSize: 2048, maxParallelRequests: 4).Create(spec);
}
catch (ModelSpecException error)
{
    Console.Error.WriteLine(error.Message);
    return 2;
}
using var _ = llm;
var options = new ChatOptions { MaxOutputTokens = 256, Temperature = 0.2f, Seed = 7 };

var rows = new[]
{
    new JsonObject { ["instruction"] = "What is the capital of Australia?", ["generations"] = new JsonArray("Canberra.", "Sydney, its largest city.") },
    new JsonObject { ["instruction"] = "Is 91 a prime number?", ["generations"] = new JsonArray("Yes, it is odd.", "No: 91 = 7 × 13.") },
};

// 1. Rate both answers for honesty.
var ultrafeedback = new UltraFeedback { Llm = llm, Aspect = "honesty", GenerationOptions = options };
ultrafeedback.Print(); // from the Distil.Console package
var rated = await ultrafeedback.ProcessAsync(rows).ToListAsync();

// 2. Judge the two answers against each other with a rubric.
var prometheus = new PrometheusEvalRelative { Llm = llm, Rubric = "factual-validity", GenerationOptions = options };
var judged = await prometheus.ProcessAsync(rated).ToListAsync();

foreach (var row in judged)
{
    Console.WriteLine();
    Console.WriteLine($"instruction: {row["instruction"]}");
    Console.WriteLine($"  ultrafeedback ratings: {row["ratings"]?.ToJsonString() ?? "null"}");
    Console.WriteLine($"  prometheus result:     {row["result"]?.ToJsonString() ?? "null"}");
    var metadata = row["distilabel_metadata"]!;
    Console.WriteLine($"  raw answers kept in distilabel_metadata: {string.Join(", ", metadata.AsObject().Select(p => p.Key))}");
}
// 3. Evolve each instruction twice; every round rewrites the answer of the round before.
// Real models write short instructions; the token cap keeps the tiny model's gibberish short.
var brief = new ChatOptions { MaxOutputTokens = 48, Temperature = 0.2f, Seed = 7 };
var evolve = new EvolInstruct { Llm = llm, NumEvolutions = 2, StoreEvolutions = true, GenerationOptions = brief };
foreach (var row in await evolve.ProcessAsync(rows.Select(r => new JsonObject { ["instruction"] = r["instruction"]!.DeepClone() })).ToListAsync())
{
    Console.WriteLine();
    Console.WriteLine($"evolved from: {row["instruction"]}");
    if (row["evolved_instructions"] is not JsonArray rounds)
    {
        Console.WriteLine("  a round came back empty: the row is unparsed");
        continue;
    }
    for (var i = 0; i < rounds.Count; i++) Console.WriteLine($"  round {i + 1}: {rounds[i]}");
}

// 4. Magpie: the model writes a user's request from its own chat template, then answers it.
// Only clients that render the template themselves (local models) can do this.
if (llm.GetService<ISupportsPreQueryTemplate>() is not null)
{
    // The tiny model has no chat template; llama.cpp's default is ChatML, which "qwen2" opens.
    var magpie = new Magpie { Llm = llm, PreQueryTemplate = "qwen2", SystemPrompt = "You are a helpful geography tutor.", GenerationOptions = brief };
    var made = (await magpie.ProcessAsync([new JsonObject()]).ToListAsync()).Single();
    Console.WriteLine();
    Console.WriteLine($"magpie instruction: {made["instruction"]}");
    Console.WriteLine($"  response:         {made["response"]}");
}

// 5. A judge inside Microsoft.Extensions.AI.Evaluation: Prometheus as an IEvaluator, scoring one
// answer the way any other evaluator would (metrics, a reason, diagnostics when it cannot tell).
IEvaluator judge = new PrometheusEval { Rubric = "factual-validity", GenerationOptions = options }.AsEvaluator();
var evaluation = await judge.EvaluateAsync(
    [new ChatMessage(ChatRole.User, "What is the capital of Australia?")],
    new ChatResponse(new ChatMessage(ChatRole.Assistant, "Canberra.")),
    new ChatConfiguration(llm));
var score = evaluation.Get<NumericMetric>("result");
Console.WriteLine();
Console.WriteLine($"prometheus as an IEvaluator: result {score.Value?.ToString() ?? "null"}, reason {score.Reason ?? "(none)"}");
foreach (var diagnostic in score.Diagnostics ?? []) Console.WriteLine($"  {diagnostic.Severity}: {diagnostic.Message[..Math.Min(100, diagnostic.Message.Length)]}");

if (spec.EndsWith("llama-2-tiny-random.gguf", StringComparison.Ordinal))
{
    Console.WriteLine();
    Console.WriteLine("The default model has random weights: its answers do not follow the formats, so the parsed columns stay null. Pass --model for a real one.");
}
return 0;

// DISTIL_MODEL wins; else the tiny test model that ships in the repository (samples/models).
static string TinyModel()
{
    var configured = Environment.GetEnvironmentVariable("DISTIL_MODEL");
    if (!string.IsNullOrWhiteSpace(configured)) return configured;
    for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
    {
        if (File.Exists(Path.Combine(directory.FullName, "Distil.Generated.sln")))
            return Path.GetFullPath(Path.Combine(directory.FullName, "samples", "models", "llama-2-tiny-random.gguf"));
    }
    return Path.GetFullPath(Path.Combine("samples", "models", "llama-2-tiny-random.gguf"));
}
