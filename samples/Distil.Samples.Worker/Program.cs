// Distil worker sample: a generic-host worker that runs a pipeline with dependency injection,
// configuration and OpenTelemetry (spans and metrics to the console exporter).
//
//   dotnet run --project samples/Distil.Samples.Worker
//       against a stand-in OpenAI-compatible server on 127.0.0.1
//   dotnet run --project samples/Distil.Samples.Worker -- --Distil:Model=openai:gpt-4o-mini
//       against a real service (configuration: command line, environment DISTIL__MODEL, appsettings)
using Distil;
using Distil.OpenAI;
using Distil.Samples.Worker;
using Distil.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

var builder = Host.CreateApplicationBuilder(args);

// Without a configured model, a stand-in server that answers every question.
var model = builder.Configuration["Distil:Model"];
await using var server = model is null ? await FakeOpenAIServer.StartAsync() : null;
if (server is not null)
{
    server.Reply = FakeReplies.Answering(request => $"A short answer to: {request.LastMessage}").WithLatency(TimeSpan.FromMilliseconds(20));
    model = $"endpoint:{server.BaseUrl}#stand-in-model";
}

builder.Services.AddDistil((_, factory) =>
{
    factory.Resilience = new ResilienceOptions { MaxConcurrentRequests = 8 };
    factory.AddOpenAI();
});
builder.Services.AddDistilChatClient(model!);
builder.Services.AddOpenTelemetry()
    .WithTracing(tracing => tracing.AddSource(DistilDiagnostics.SourceName).AddConsoleExporter())
    .WithMetrics(metrics => metrics.AddMeter(DistilDiagnostics.MeterName).AddConsoleExporter());
builder.Services.AddHostedService<QuestionsWorker>();

await builder.Build().RunAsync();
