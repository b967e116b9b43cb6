// Distil quickstart: run a typed task over a few rows with a local GGUF model (the default) or any
// model spec, with structured output, write the rows to JSONL and show them as a table.
//
//   dotnet run --project samples/Distil.Quickstart
//   dotnet run --project samples/Distil.Quickstart -- --model endpoint:http://127.0.0.1:8000/v1#my-model
using System.Text.Json;
using System.Text.Json.Nodes;
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
    .AddLocalModels(contextSize: 1024);
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

var rows = new[]
{
    Row("Trail running shoes", "Grippy on wet rock and light, but the laces came undone on every run.", ["running", "outdoor"]),
    Row("Espresso machine", "  Makes a lovely crema. Descaling is a chore; the manual is useless.  ", ["kitchen"]),
    Row("Noise-cancelling headphones", "Silence on the train at last. Worth every cent.", []),
    Row("Standing desk", "Arrived with a cracked leg and support never answered my emails.", ["office", "furniture"]),
};

var task = new ReviewSummary
{
    Llm = llm,
    Logger = loggerFactory.CreateLogger("Distil"),
    // Structured output: a strict JSON schema for remote models, the generated grammar for local ones.
    UseDefaultStructuredOutput = true,
    GenerationOptions = new ChatOptions { MaxOutputTokens = 400, Temperature = 0.7f, Seed = 42 },
};

AnsiConsole.MarkupLine($"[bold]Distil quickstart[/] · task [green]{task.Name}[/] · model [green]{Markup.Escape(options.ModelSpec)}[/]");
task.Print(task.ReadInput(rows[0]));

var results = new List<JsonObject>();
await foreach (var row in task.ProcessAsync(rows)) results.Add(row);

Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(options.OutputPath))!);
// Relaxed escaping keeps quotes and non-ASCII text readable in the file; it is still valid JSON.
var json = new JsonSerializerOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
await File.WriteAllLinesAsync(options.OutputPath, results.Select(r => r.ToJsonString(json)));

var table = new Table().AddColumns("product", "summary", "sentiment", "tokens in/out", "raw answer");
foreach (var row in results)
{
    var metadata = row[task.MetadataColumn]!;
    var statistics = metadata[$"statistics_{task.Name}"];
    table.AddRow(
        Markup.Escape((string?)row["product"] ?? ""),
        Markup.Escape((string?)row["summary"] ?? "(unparsed)"),
        Markup.Escape(row["sentiment"]?.ToJsonString() ?? "(unparsed)"),
        $"{statistics?["input_tokens"]}/{statistics?["output_tokens"]}",
        Markup.Escape(Shorten((string?)metadata[$"raw_output_{task.Name}"] ?? "")));
}
AnsiConsole.Write(table);
AnsiConsole.MarkupLine($"Wrote {results.Count} rows to [blue]{Markup.Escape(Path.GetFullPath(options.OutputPath))}[/]");
if (options.IsTinyTestModel)
{
    AnsiConsole.MarkupLine("[grey]The default model has random weights: the grammar makes its answers valid JSON, but their words are gibberish. Point DISTIL_MODEL at a real instruct GGUF, or pass --model, for real data.[/]");
}
return 0;

static JsonObject Row(string product, string review, string[] tags) => new()
{
    ["product"] = product,
    ["review"] = review,
    ["max_words"] = 12,
    ["tags"] = new JsonArray(tags.Select(t => (JsonNode?)t).ToArray()),
};

static string Shorten(string text) => text.Length <= 40 ? text : text[..37] + "...";
