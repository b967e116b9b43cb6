using System.Diagnostics;
using Distil.Pipelines;
using Distil.Testing;
using Distil.Tests.Providers;
using Distil.Tests.Support;
using NUnit.Framework;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace Distil.Tests.Telemetry;

/// <summary>
/// Distil's spans and metrics as an OpenTelemetry exporter receives them (the in-memory exporter),
/// from a pipeline run against the fake OpenAI server with one transient fault.
/// </summary>
[NonParallelizable]
public class OpenTelemetryTests
{
    private const string Key = "sk-telemetry-secret-4f1e";

    [Test]
    public async Task A_pipeline_run_makes_nested_spans_with_GenAI_attributes_one_per_attempt_and_no_secrets()
    {
        await using var server = await FakeOpenAIServer.StartAsync();
        // The very first call fails once (a 500), so its retry is a second attempt of one call.
        server.Reply = r => r.Index == 0 ? new FakeReply.ServerError(500) : new FakeReply.Answer(EchoTask.Answer(r));
        var spans = new List<Activity>();
        var metrics = new List<Metric>();
        using (var tracing = Sdk.CreateTracerProviderBuilder().AddSource(DistilDiagnostics.SourceName).AddInMemoryExporter(spans).Build())
        using (var meters = Sdk.CreateMeterProviderBuilder().AddMeter(DistilDiagnostics.MeterName).AddInMemoryExporter(metrics).Build())
        {
            using var llm = FakeServerClients.Factory(server, apiKey: Key).Create("openai:fake-model");
            using var folder = new TempFolder("distil-otel-");
            var runs = folder.Path;
            var pipeline = Pipeline.Create("otel");
            pipeline.RunDirectory = Path.Combine(runs, "otel");
            pipeline.Load(EchoTask.Rows(5)).Then(new EchoTask { Llm = llm, MaxConcurrency = 2, UseDefaultStructuredOutput = true });
            var result = await pipeline.RunAsync(new PipelineRunOptions { Progress = ProgressMode.None });
            await result.Dataset.ToListAsync();
            meters.ForceFlush();
        }

        var run = spans.Single(s => s.OperationName == "distil.pipeline");
        Assert.That(run.GetTagItem("distil.pipeline"), Is.EqualTo("otel"));
        var steps = spans.Where(s => s.OperationName == "distil.step").ToList();
        Assert.That(steps.Select(s => s.GetTagItem("distil.step")), Is.EquivalentTo(new[] { "load_data", "echo" }));
        Assert.That(steps, Has.All.Matches<Activity>(s => s.ParentSpanId == run.SpanId));
        var echo = steps.Single(s => (string?)s.GetTagItem("distil.step") == "echo");
        var generations = spans.Where(s => s.OperationName == "distil.generation").ToList();
        Assert.That(generations, Has.Count.EqualTo(5));
        Assert.That(generations, Has.All.Matches<Activity>(g => g.ParentSpanId == echo.SpanId && (string?)g.GetTagItem("distil.outcome") == "fit"));

        var calls = spans.Where(s => s.Source.Name == DistilDiagnostics.SourceName && s.GetTagItem("gen_ai.operation.name") is "chat").ToList();
        Assert.That(calls, Has.Count.EqualTo(6), "five calls, one of them retried: one span per attempt");
        Assert.That(calls, Has.All.Matches<Activity>(c => generations.Any(g => g.SpanId == c.ParentSpanId)), "each attempt under its generation");
        Assert.That(calls.Select(c => c.GetTagItem("gen_ai.request.model")), Has.All.EqualTo("fake-model"));
        Assert.That(calls.Count(c => c.Status == ActivityStatusCode.Error), Is.EqualTo(1), "the failed attempt is marked");
        Assert.That(calls.Where(c => c.Status != ActivityStatusCode.Error).Select(c => c.GetTagItem("gen_ai.usage.input_tokens")), Has.None.Null);

        var everything = string.Join("\n", spans.SelectMany(s => s.TagObjects.Select(t => $"{t.Key}={t.Value}").Concat(s.Events.SelectMany(e => e.Tags.Select(t => $"{t.Key}={t.Value}")))));
        Assert.That(everything, Does.Not.Contain(Key), "no attribute holds the key");
        Assert.That(everything, Does.Not.Contain(EchoTask.Rows(1).First()["text"]!.GetValue<string>()), "by default no prompt text");

        var written = metrics.Where(m => m.Name == "distil.rows.written").SelectMany(Points).Sum(p => p.GetSumLong());
        Assert.That(written, Is.EqualTo(10), "load_data and echo each wrote 5 rows");
        var calls2 = metrics.Where(m => m.Name == "distil.llm.calls").SelectMany(Points).Sum(p => p.GetSumLong());
        Assert.That(calls2, Is.EqualTo(5), "calls that ended (a retried call counts once)");
        Assert.That(metrics.Select(m => m.Name), Does.Contain("gen_ai.client.token.usage").And.Contain("gen_ai.client.operation.duration"));
    }

    private static List<MetricPoint> Points(Metric metric)
    {
        var points = new List<MetricPoint>();
        foreach (ref readonly var point in metric.GetMetricPoints()) points.Add(point);
        return points;
    }
}
