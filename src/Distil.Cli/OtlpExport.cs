using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace Distil.Cli;

/// <summary>
/// Sends a run's spans and metrics over OTLP when the standard <c>OTEL_EXPORTER_OTLP_ENDPOINT</c>
/// variable is set (protocol from <c>OTEL_EXPORTER_OTLP_PROTOCOL</c>, headers from
/// <c>OTEL_EXPORTER_OTLP_HEADERS</c>, as the OpenTelemetry SDK reads them), and flushes both before
/// the command exits. Without the variable, nothing is set up.
/// </summary>
internal sealed class OtlpExport : IDisposable
{
    private readonly TracerProvider _tracing;
    private readonly MeterProvider _metrics;

    private OtlpExport(TracerProvider tracing, MeterProvider metrics)
    {
        _tracing = tracing;
        _metrics = metrics;
    }

    public static OtlpExport? FromEnvironment()
    {
        if (string.IsNullOrWhiteSpace(Environment.GetEnvironmentVariable("OTEL_EXPORTER_OTLP_ENDPOINT"))) return null;
        var resource = ResourceBuilder.CreateDefault().AddService("distil");
        var tracing = Sdk.CreateTracerProviderBuilder().SetResourceBuilder(resource).AddSource(DistilDiagnostics.SourceName).AddOtlpExporter().Build();
        var metrics = Sdk.CreateMeterProviderBuilder().SetResourceBuilder(resource).AddMeter(DistilDiagnostics.MeterName).AddOtlpExporter().Build();
        return new OtlpExport(tracing, metrics);
    }

    public void Dispose()
    {
        // What the run recorded goes out before the process ends, not on a timer that never fires again.
        _metrics.ForceFlush(5000);
        _tracing.ForceFlush(5000);
        _metrics.Dispose();
        _tracing.Dispose();
    }
}
