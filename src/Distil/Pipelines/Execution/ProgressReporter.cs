using System.Diagnostics;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;
using Spectre.Console;

namespace Distil.Pipelines;

/// <summary>
/// Shows what a run is doing: per step, rows in and out, rows replayed from the store, and for
/// tasks the calls in flight, failures, retries and tokens, with a rate and an ETA. A live table on
/// an interactive terminal; otherwise a few log lines per step (<see cref="ProgressLog"/>).
/// </summary>
internal sealed class ProgressReporter
{

    private readonly Pipeline _pipeline;
    private readonly IReadOnlyList<StepCounters> _steps;
    private readonly long? _total;
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly CancellationTokenSource _stop = new();
    private readonly IAnsiConsole _console;
    private readonly TimeSpan _logInterval;
    private readonly TimeProvider _time;
    private Task _loop = Task.CompletedTask;

    private ProgressReporter(Pipeline pipeline, IReadOnlyList<StepCounters> steps, long? total, IAnsiConsole console, TimeSpan logInterval, TimeProvider time)
    {
        _time = time;
        _console = console;
        _logInterval = logInterval;
        _pipeline = pipeline;
        _steps = steps;
        _total = total;
    }

    public static ProgressReporter Start(Pipeline pipeline, PipelineRunOptions options, IReadOnlyList<StepCounters> steps, long? total)
    {
        var console = options.Console ?? AnsiConsole.Console;
        var reporter = new ProgressReporter(pipeline, steps, total, console, options.ProgressInterval, options.TimeProvider ?? TimeProvider.System);
        var mode = options.Progress;
        var live = mode == ProgressMode.Live
            || mode == ProgressMode.Auto && console.Profile.Capabilities.Interactive && (options.Console is not null || !Console.IsOutputRedirected);
        reporter._loop = mode switch
        {
            ProgressMode.None => Task.CompletedTask,
            _ when live => Task.Run(reporter.LiveAsync),
            _ => Task.Run(reporter.LogAsync),
        };
        return reporter;
    }

    public async Task StopAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        try
        {
            await _loop.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
        _stop.Dispose();
    }

    private async Task LiveAsync()
    {
        // Sized for an 80-column terminal: no vertical rules, the border's one space between columns, numbers
        // below 100,000 exact and larger ones short (123.4k, 1.23M).
        var table = new Table().Title($"[bold]{Markup.Escape(_pipeline.Name)}[/]").Border(TableBorder.Simple)
            .AddColumns("Step", "In", "Out", "Replay", "Flight", "Fail/Retry", "Tok in/out", "Rows/s", "ETA");
        foreach (var column in table.Columns) column.Padding(0, 0, 0, 0).NoWrap();
        foreach (var column in table.Columns.Skip(1)) column.RightAligned();
        await _console.Live(table).StartAsync(async context =>
        {
            while (true)
            {
                table.Rows.Clear();
                foreach (var line in Lines())
                {
                    table.AddRow(Short(line[0], 16), Compact(line[1]), Compact(line[2]), Compact(line[3]), Compact(line[4]),
                        line[5].Length == 0 ? "" : $"{Compact(line[5])}/{Compact(line[6])}", Tokens(line[7]), line[8], line[9]);
                    // The servers of a balanced client, under their task: answered, in flight, failed, state.
                    foreach (var server in ServersOf(line[0]))
                    {
                        table.AddRow(Short("↳ " + Host(server.Name), 16), "", Compact(server.Answered.ToString("N0")), "", server.InFlight.ToString("N0"),
                            Compact(server.Failed.ToString("N0")), "", "", server.State switch { ServerState.Ejected => "eject", ServerState.Probing => "probe", _ => "" });
                    }
                }
                context.Refresh();
                if (_stop.IsCancellationRequested) return;
                try
                {
                    await Task.Delay(250, _stop.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    // one last refresh with the final counts
                }
            }
        }).ConfigureAwait(false);
    }

    // Wakes every tick for a finished step to be told promptly; ProgressLog decides which lines are due.
    private async Task LogAsync()
    {
        var log = new ProgressLog(_pipeline.Name, _pipeline.Logger, _logInterval, _time);
        while (true)
        {
            try
            {
                await Task.Delay(log.Tick, _time, _stop.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                // One last look: the steps that finished since the last tick get their line.
                log.Observe(Snapshot());
                return;
            }
            log.Observe(Snapshot());
        }
    }

    private List<StepProgress> Snapshot() => _steps.Select(counters =>
    {
        var calls = counters.Counts;
        var isTask = counters.Step is TaskNode;
        return new StepProgress(counters.Step.Name, isTask, counters.Read, counters.Written, counters.Replayed,
            isTask ? calls.InFlight : 0, isTask ? calls.FailedCalls : 0, isTask ? calls.Retries : 0,
            isTask ? calls.InputTokens : 0, isTask ? calls.OutputTokens : 0,
            counters.Step is GlobalNode ? null : _total, counters.Done, ServersOf(counters.Step.Name));
    }).ToList();

    private IReadOnlyList<ServerStatistics> ServersOf(string step) =>
        _steps.FirstOrDefault(c => c.Step.Name == step)?.Step is TaskNode { Task.Llm: { } llm } && llm.GetService<LoadBalancingChatClient>() is { } balancer
            ? balancer.Servers
            : [];

    private static string Host(string server) => Uri.TryCreate(server, UriKind.Absolute, out var url) ? url.Authority : server;

    private static string Short(string text, int length) => Markup.Escape(text.Length <= length ? text : text[..(length - 1)] + "…");

    // Exact below 100,000, else 123.4k, 1.23M, 1.23B.
    private static string Compact(string number)
    {
        if (!long.TryParse(number, System.Globalization.NumberStyles.AllowThousands, System.Globalization.CultureInfo.CurrentCulture, out var value) || value < 100_000) return number;
        return value switch
        {
            < 1_000_000 => (value / 1_000d).ToString("0.0", System.Globalization.CultureInfo.CurrentCulture) + "k",
            < 1_000_000_000 => (value / 1_000_000d).ToString(value < 100_000_000 ? "0.00" : "0.0", System.Globalization.CultureInfo.CurrentCulture) + "M",
            _ => (value / 1_000_000_000d).ToString("0.00", System.Globalization.CultureInfo.CurrentCulture) + "B",
        };
    }

    private static string Tokens(string pair) => pair.Split('/') is [var input, var output] ? $"{Compact(input)}/{Compact(output)}" : pair;

    private static string Eta(TimeSpan left) => $"{(int)left.TotalHours}:{left.Minutes:00}:{left.Seconds:00}";

    private IEnumerable<string[]> Lines()
    {
        var seconds = Math.Max(_clock.Elapsed.TotalSeconds, 0.001);
        foreach (var counters in _steps)
        {
            var isTask = counters.Step is TaskNode;
            var calls = counters.Counts;
            var rate = counters.Read / seconds;
            var eta = counters.Done ? "done"
                : _total is { } total && rate > 0 && counters.Step is not GlobalNode && counters.Read <= total
                    ? Eta(TimeSpan.FromSeconds((total - counters.Read) / rate))
                    : "";
            yield return
            [
                counters.Step.Name,
                counters.Read.ToString("N0"),
                counters.Written.ToString("N0"),
                counters.Replayed.ToString("N0"),
                isTask ? calls.InFlight.ToString("N0") : "",
                isTask ? calls.FailedCalls.ToString("N0") : "",
                isTask ? calls.Retries.ToString("N0") : "",
                isTask ? $"{calls.InputTokens:N0}/{calls.OutputTokens:N0}" : "",
                rate.ToString("N1"),
                eta,
            ];
        }
    }
}
