// Distil worker sample: a generic-host worker that runs a pipeline with dependency injection,
// configuration (appsettings.json: retries, limits, the cache file) and OpenTelemetry (spans and
// metrics to the console exporter). Answers are kept in the response cache file appsettings.json
// names, so even a run in a fresh run directory asks the model nothing it was asked before.
//
//   dotnet run --project samples/Distil.Samples.Worker
//       against a stand-in OpenAI-compatible server on 127.0.0.1
//   dotnet run --project samples/Distil.Samples.Worker -- --Distil:Model=openai:gpt-4o-mini
//       against a real service (configuration: command line, environment DISTIL__MODEL, appsettings)
using Distil;
using Distil.OpenAI;
using Distil.Samples.Worker;
using Distil.Testing;
using Microsoft.Extensions.Caching.Distributed;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

// appsettings.json is read from beside the program, wherever it is started from.
var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { Args = args, ContentRootPath = AppContext.BaseDirectory });

// Without a configured model, a stand-in server that answers every question.
var model = builder.Configuration["Distil:Model"];
await using var server = model is null ? await FakeOpenAIServer.StartAsync() : null;
if (server is not null)
{
    server.Reply = FakeReplies.Answering(request => $"A short answer to: {request.LastMessage}").WithLatency(TimeSpan.FromMilliseconds(20));
    model = $"endpoint:{server.BaseUrl}#stand-in-model";
}

// Distil's SQLite response cache as the container's IDistributedCache (a Redis or SQL Server
// cache registered here instead would serve the same way).
builder.Services.AddSingleton<IDistributedCache>(_ => ResponseCache.Open(builder.Configuration["Distil:CachePath"] ?? ".distil/worker-sample/responses.db"));
// Resilience comes from the "Distil:Resilience" section, checked when the host starts.
builder.Services.AddDistil((services, factory) =>
{
    factory.Cache = services.GetRequiredService<IDistributedCache>();
    factory.AddOpenAI();
});
builder.Services.AddDistilChatClient(model!);
builder.Services.AddOpenTelemetry()
    .WithTracing(tracing => tracing.AddSource(DistilDiagnostics.SourceName).AddConsoleExporter())
    .WithMetrics(metrics => metrics.AddMeter(DistilDiagnostics.MeterName).AddConsoleExporter());
builder.Services.AddHostedService<QuestionsWorker>();

await builder.Build().RunAsync();
