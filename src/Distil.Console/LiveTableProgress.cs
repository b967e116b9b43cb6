using System.Diagnostics;
using System.Globalization;
using Spectre.Console;

namespace Distil.Pipelines;

/// <summary>
/// Progress displays on the terminal, for <see cref="PipelineRunOptions.ProgressDisplay"/>:
/// <c>new PipelineRunOptions { ProgressDisplay = ConsoleProgress.LiveTable() }</c>.
/// </summary>
public static class ConsoleProgress
{
    /// <summary>
    /// A live table with a line per step: rows in and out, rows replayed from the store, and for
    /// tasks the calls in flight, failures, retries and tokens, with a rate and an ETA; the servers
    /// of a balanced client under their task. Drawn on <paramref name="console"/> (default: the
    /// process's terminal). Under <see cref="ProgressMode.Auto"/> it shows when the console is
    /// interactive (and, for the process's terminal, its output is not redirected); otherwise the
    /// run logs progress lines.
    /// </summary>
    public static IPipelineProgress LiveTable(IAnsiConsole? console = null) => new LiveTableProgress(console);
}

/// <summary>The live table of <see cref="ConsoleProgress.LiveTable"/>: redrawn four times a second from the run's counts.</summary>
internal sealed class LiveTableProgress(IAnsiConsole? console) : IPipelineProgress
{
    private IAnsiConsole Console => console ?? AnsiConsole.Console;

    // A console given by the caller is trusted; the process's own must also not be redirected to a file or pipe.
    public bool IsAvailable => Console.Profile.Capabilities.Interactive && (console is not null || !System.Console.IsOutputRedirected);

    public IAsyncDisposable Start(PipelineProgressRun run)
    {
        var stop = new CancellationTokenSource();
        return new Loop(Task.Run(() => LiveAsync(Console, run, stop.Token)), stop);
    }

    private static async Task LiveAsync(IAnsiConsole console, PipelineProgressRun run, CancellationToken stop)
    {
        var clock = Stopwatch.StartNew();
        // Sized for an 80-column terminal: no vertical rules, the border's one space between columns, numbers
        // below 100,000 exact and larger ones short (123.4k, 1.23M).
        var table = new Table().Title($"[bold]{Markup.Escape(run.Pipeline)}[/]").Border(TableBorder.Simple)
            .AddColumns("Step", "In", "Out", "Replay", "Flight/Lim", "Fail/Retry/Ref", "Tok in/out", "Rows/s", "ETA");
        foreach (var column in table.Columns) column.Padding(0, 0, 0, 0).NoWrap();
        foreach (var column in table.Columns.Skip(1)) column.RightAligned();
        await console.Live(table).StartAsync(async context =>
        {
            while (true)
            {
                table.Rows.Clear();
                var seconds = Math.Max(clock.Elapsed.TotalSeconds, 0.001);
                foreach (var step in run.Snapshot()) AddStep(table, step, seconds);
                context.Refresh();
                if (stop.IsCancellationRequested) return;
                try
                {
                    await Task.Delay(250, stop).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    // one last refresh with the final counts
                }
            }
        }).ConfigureAwait(false);
    }

    private static void AddStep(Table table, StepProgress step, double seconds)
    {
        var rate = step.Read / seconds;
        var eta = step.Done ? "done"
            : step.Total is { } total && rate > 0 && step.Read <= total ? Eta(TimeSpan.FromSeconds((total - step.Read) / rate))
            : "";
        table.AddRow(Short(step.Name, 16), Compact(step.Read), Compact(step.Written), Compact(step.Replayed),
            // With an adaptive limit: calls in flight / the limit now, and the refusals that moved it.
            step.IsTask ? Compact(step.InFlight) + (step.ConcurrencyLimit is { } limit ? "/" + Compact(limit) : "") : "",
            step.IsTask ? $"{Compact(step.FailedCalls)}/{Compact(step.Retries)}" + (step.ConcurrencyLimit is not null ? "/" + Compact(step.Refusals) : "") : "",
            step.IsTask ? $"{Compact(step.InputTokens)}/{Compact(step.OutputTokens)}" : "",
            rate.ToString("N1", CultureInfo.CurrentCulture), eta);
        // The servers of a balanced client, under their task: answered, in flight, failed, state.
        foreach (var server in step.Servers)
        {
            table.AddRow(Short("↳ " + Host(server.Name), 16), "", Compact(server.Answered), "",
                server.InFlight.ToString("N0", CultureInfo.CurrentCulture) + (server.ConcurrencyLimit is { } serverLimit ? "/" + Compact(serverLimit) : ""),
                Compact(server.Failed) + (server.ConcurrencyLimit is not null ? "/-/" + Compact(server.Refusals) : ""), "", "", server.State switch { ServerState.Ejected => "eject", ServerState.Probing => "probe", _ => "" });
        }
    }

    private static string Host(string server) => Uri.TryCreate(server, UriKind.Absolute, out var url) ? url.Authority : server;

    private static string Short(string text, int length) => Markup.Escape(text.Length <= length ? text : text[..(length - 1)] + "…");

    // Exact (with thousands separators) below 100,000, else 123.4k, 1.23M, 1.23B.
    private static string Compact(long value) => value switch
    {
        < 100_000 => value.ToString("N0", CultureInfo.CurrentCulture),
        < 1_000_000 => (value / 1_000d).ToString("0.0", CultureInfo.CurrentCulture) + "k",
        < 1_000_000_000 => (value / 1_000_000d).ToString(value < 100_000_000 ? "0.00" : "0.0", CultureInfo.CurrentCulture) + "M",
        _ => (value / 1_000_000_000d).ToString("0.00", CultureInfo.CurrentCulture) + "B",
    };

    private static string Eta(TimeSpan left) => $"{(int)left.TotalHours}:{left.Minutes:00}:{left.Seconds:00}";

    private sealed class Loop(Task loop, CancellationTokenSource stop) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            await stop.CancelAsync().ConfigureAwait(false);
            try
            {
                await loop.ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
            }
            stop.Dispose();
        }
    }
}
