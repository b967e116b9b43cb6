using System.CommandLine;
using System.Globalization;
using System.Runtime.InteropServices;
using Distil.Testing;

namespace Distil.Cli;

/// <summary>
/// <c>distil fake-server</c>: the testing kit's stand-in OpenAI-compatible server (chat
/// completions, embeddings and the Batch API) on 127.0.0.1, with optional latency and transient
/// faults, until Ctrl+C or SIGTERM. For trying a pipeline or a CI job without a model or a key.
/// </summary>
internal static class FakeServerCommand
{
    public static Command Build(CliConsole console)
    {
        var port = new Option<int>("--port") { Description = "The port on 127.0.0.1 (default 0: a free port, printed at start).", DefaultValueFactory = _ => 0 };
        var faults = new Option<double>("--faults") { Description = "The share of requests, 0 to 1, that fail as flaky services do: 429, 500, 503, a dropped connection, a malformed body, in turn (default 0)." };
        var seed = new Option<int>("--seed") { Description = "The seed that picks which requests fail (default 1).", DefaultValueFactory = _ => 1 };
        var latency = new Option<double>("--latency") { Description = "Milliseconds each reply waits (default 0)." };
        var answer = new Option<string>("--answer") { Description = "The text of every chat answer, e.g. '{\"score\": 4}' for a task that reads JSON (default: 'fake answer N', N counting requests from 0)." };
        var capacity = new Option<int?>("--capacity") { Description = "Serve at most N chat requests at once and refuse the rest with 429, as a deployment at its quota does (default: no bound). POST /fake/capacity with a number (or none) changes it while serving." };
        var retryAfter = new Option<double?>("--retry-after") { Description = "With --capacity: the Retry-After (seconds) a refusal carries (default: none)." };
        var command = new Command("fake-server", "Serve the testing kit's stand-in OpenAI-compatible API (chat, embeddings, Batch API) on 127.0.0.1 until Ctrl+C or SIGTERM.")
        {
            port, faults, seed, latency, answer, capacity, retryAfter,
        };
        command.SetAction((result, cancellationToken) => ServeAsync(console, result.GetValue(port), result.GetValue(faults), result.GetValue(seed), result.GetValue(latency), result.GetValue(answer),
            result.GetValue(capacity), result.GetValue(retryAfter), cancellationToken));
        return command;
    }

    private static async Task<int> ServeAsync(CliConsole console, int port, double faults, int seed, double latencyMs, string? answer, int? capacity, double? retryAfter, CancellationToken cancellationToken)
    {
        if (capacity < 1) throw new UsageException($"distil fake-server: --capacity must be 1 or more requests at once, not {capacity}.");
        if (retryAfter is { } wait && (wait < 0 || double.IsNaN(wait))) throw new UsageException($"distil fake-server: --retry-after must be 0 or more seconds, not {wait.ToString(CultureInfo.InvariantCulture)}.");
        if (retryAfter is not null && capacity is null) throw new UsageException("distil fake-server: --retry-after goes with --capacity (it is what a refusal for capacity carries).");
        if (port is < 0 or > 65535) throw new UsageException($"distil fake-server: --port must be 0 (a free port) to 65535, not {port}.");
        if (faults is < 0 or > 1 || double.IsNaN(faults)) throw new UsageException($"distil fake-server: --faults must be a share from 0 to 1, not {faults.ToString(CultureInfo.InvariantCulture)}.");
        if (latencyMs < 0 || double.IsNaN(latencyMs)) throw new UsageException($"distil fake-server: --latency must be 0 or more milliseconds, not {latencyMs.ToString(CultureInfo.InvariantCulture)}.");

        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        // Rule: Ctrl+C and SIGTERM stop the server cleanly and the command exits 0.
        using var onTerm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);
        using var onInt = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);

        FakeOpenAIServer server;
        try
        {
            server = await FakeOpenAIServer.StartAsync(port, cancellationToken);
        }
        catch (IOException error)
        {
            throw new UsageException($"distil fake-server: cannot listen on 127.0.0.1:{port} ({error.Message}).");
        }
        await using (server)
        {
            var reply = FakeReplies.Answering(r => answer ?? $"fake answer {r.Index}");
            if (latencyMs > 0) reply = reply.WithLatency(TimeSpan.FromMilliseconds(latencyMs));
            if (faults > 0) reply = reply.WithTransientFaults(faults, seed);
            server.Reply = reply;
            server.KeepRequestLog = false;
            server.MaxConcurrent = capacity;
            server.CapacityRetryAfter = retryAfter is { } seconds ? TimeSpan.FromSeconds(seconds) : null;
            await console.Out.WriteLineAsync($"Fake OpenAI-compatible server listening on {server.BaseUrl} (model spec: endpoint:{server.BaseUrl}#any-model). Ctrl+C or SIGTERM stops it.");
            await console.Out.FlushAsync(CancellationToken.None);
            try
            {
                await Task.Delay(Timeout.Infinite, stop.Token);
            }
            catch (OperationCanceledException)
            {
            }
            var refused = server.RefusedCount > 0 ? $", refused for capacity: {server.RefusedCount:N0}" : "";
            await console.Out.WriteLineAsync($"Stopped; chat requests served: {server.RequestCount:N0}{refused}.");
        }
        return ExitCodes.Success;

        void Stop(PosixSignalContext context)
        {
            // Handled here: the command ends itself once the server has stopped.
            context.Cancel = true;
            stop.Cancel();
        }
    }
}
