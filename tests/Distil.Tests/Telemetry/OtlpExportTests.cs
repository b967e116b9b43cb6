using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Distil.Testing;
using Distil.Tests.Providers;
using Distil.Tests.Support;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using NUnit.Framework;

namespace Distil.Tests.Telemetry;

/// <summary>
/// <c>distil run</c> with the standard OTLP variables set sends its traces and metrics to the
/// endpoint (here a local HTTP listener standing in for a collector) before it exits.
/// </summary>
public class OtlpExportTests : FakeServerTests
{
    [Test]
    public async Task Distil_run_exports_traces_and_metrics_over_OTLP_when_the_endpoint_variable_is_set()
    {
        Server.Reply = FakeReplies.Answering(r => "answer " + r.Index);
        var received = new ConcurrentBag<(string Path, long Bytes, string? Type)>();
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        await using var collector = builder.Build();
        collector.MapPost("/v1/{signal}", async (HttpContext context) =>
        {
            using var body = new MemoryStream();
            await context.Request.Body.CopyToAsync(body);
            received.Add((context.Request.Path, body.Length, context.Request.ContentType));
            return Results.Ok();
        });
        await collector.StartAsync();

        using var folder = new TempFolder("distil-otlp-");
        var work = folder.Path;
        var input = Path.Combine(work, "questions.jsonl");
        File.WriteAllLines(input, Enumerable.Range(0, 3).Select(i => new JsonObject { ["instruction"] = $"Question {i}?" }.ToJsonString()));
        var environment = new Dictionary<string, string>
        {
            ["OTEL_EXPORTER_OTLP_ENDPOINT"] = collector.Urls.First(),
            ["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf",
        };

        var (exitCode, error) = await ChildProgram.Distil.RunAsync(environment,
            "run", "--task", "text_generation", "--input", input, "--output", Path.Combine(work, "out.jsonl"),
            "--run-dir", Path.Combine(work, "run"), "--model", $"endpoint:{Server.BaseUrl}#fake-model");

        Assert.That(exitCode, Is.Zero, error);
        Assert.That(received.Where(r => r.Path == "/v1/traces"), Has.Some.Matches<(string Path, long Bytes, string? Type)>(r => r.Bytes > 0 && r.Type == "application/x-protobuf"), "traces arrived");
        Assert.That(received.Where(r => r.Path == "/v1/metrics"), Has.Some.Matches<(string Path, long Bytes, string? Type)>(r => r.Bytes > 0), "metrics arrived");
    }
}
