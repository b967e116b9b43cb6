// Distil quickstart: run a typed task over a few inputs with a local GGUF model (the default) or any
// model spec, with structured output, read its typed results, write them to JSONL and show a table.
//
//   dotnet run --project samples/Distil.Quickstart
//   dotnet run --project samples/Distil.Quickstart -- --model endpoint:http://127.0.0.1:8000/v1#my-model
using System.Text.Json;
using Distil;
using Distil.LlamaSharp;
using Distil.OpenAI;
using Distil.Quickstart;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;
using Spectre.Console;

var options = QuickstartOptions.Parse(args);
if (options is null) return 2;

using var loggerFactory = LoggerFactory.Create(b => b.AddSimpleConsole(o => o.SingleLine = true).SetMinimumLevel(LogLevel.Warning));
using var cache = options.CachePath is null ? null : ResponseCache.Open(options.CachePath);
// Every provider, with retries and (when asked) the response cache around it.
var llms = new ChatClientFactory { Cache = cache, Logger = loggerFactory.CreateLogger("Distil") }
    .AddOpenAI()
    .AddLocalModels(contextSize: 1024, maxParallelRequests: 4); // four rows decode together (continuous batching)
IChatClient llm;
try
{
    llm = llms.Create(options.ModelSpec);
}
catch (ModelSpecException error)
{
    AnsiConsole.MarkupLine($"[red]{Markup.Escape(error.Message)}[/]");
    return 2;
}
using var _ = llm;

ReviewSummary.Input[] reviews =
[
    new("Trail running shoes", "Grippy on wet rock and light, but the laces came undone on every run.", MaxWords: 12, Tags: ["running", "outdoor"]),
    new("Espresso machine", "  Makes a lovely crema. Descaling is a chore; the manual is useless.  ", MaxWords: 12, Tags: ["kitchen"]),
    new("Noise-cancelling headphones", "Silence on the train at last. Worth every cent.", MaxWords: 12, Tags: []),
    new("Standing desk", "Arrived with a cracked leg and support never answered my emails.", MaxWords: 12, Tags: ["office", "furniture"]),
];

var task = new ReviewSummary
{
    Llm = llm,
    Logger = loggerFactory.CreateLogger("Distil"),
    // Structured output: a strict JSON schema for remote models, the generated grammar for local ones.
    UseDefaultStructuredOutput = true,
    GenerationOptions = new ChatOptions { MaxOutputTokens = 400, Temperature = 0.7f, Seed = 42 },
};

AnsiConsole.MarkupLine($"[bold]Distil quickstart[/] · task [green]{task.Name}[/] · model [green]{Markup.Escape(options.ModelSpec)}[/]");
task.Print(reviews[0]); // Print draws the prompt as panels: it comes with the Distil.Console package

// Typed in, typed out: one result per review, in order, each with its parsed output (null when the
// answer could not be read), the raw answer and the token counts.
var results = await task.RunAsync(reviews).ToListAsync();

Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(options.OutputPath))!);
// Relaxed escaping keeps quotes and non-ASCII text readable in the file; it is still valid JSON.
var json = new JsonSerializerOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping, PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };
await File.WriteAllLinesAsync(options.OutputPath, results.Select(r => JsonSerializer.Serialize(new
{
    r.Input.Product,
    r.Input.Review,
    r.Output?.Summary,
    r.Output?.Sentiment,
    ModelName = r.Generations[0].ModelId,
    RawOutput = r.Generations[0].Text,
    InputTokens = r.Generations[0].Usage?.InputTokenCount,
    OutputTokens = r.Generations[0].Usage?.OutputTokenCount,
}, json)));

var table = new Table().AddColumns("product", "summary", "sentiment", "tokens in/out", "raw answer");
foreach (var result in results)
{
    var answer = result.Generations[0];
    table.AddRow(
        Markup.Escape(result.Input.Product),
        Markup.Escape(result.Output?.Summary ?? "(unparsed)"),
        result.Output?.Sentiment.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "(unparsed)",
        $"{answer.Usage?.InputTokenCount}/{answer.Usage?.OutputTokenCount}",
        Markup.Escape(Shorten(answer.Text ?? answer.Error?.Message ?? "")));
}
AnsiConsole.Write(table);
AnsiConsole.MarkupLine($"Wrote {results.Count} results to [blue]{Markup.Escape(Path.GetFullPath(options.OutputPath))}[/]");
if (options.IsTinyTestModel)
{
    AnsiConsole.MarkupLine("[grey]The default model has random weights: the grammar makes its answers valid JSON, but their words are gibberish. Point DISTIL_MODEL at a real instruct GGUF, or pass --model, for real data.[/]");
}
return 0;

static string Shorten(string text) => text.Length <= 40 ? text : text[..37] + "...";
