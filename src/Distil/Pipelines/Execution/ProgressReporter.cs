using System.Diagnostics;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;
using Spectre.Console;

namespace Distil.Pipelines;

/// <summary>
/// Shows what a run is doing: per step, rows in and out, rows replayed from the store, and for
/// tasks the calls in flight, failures, retries and tokens, with a rate and an ETA. A live table on
/// an interactive terminal; a log line every few seconds otherwise.
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
    private Task _loop = Task.CompletedTask;

    private ProgressReporter(Pipeline pipeline, IReadOnlyList<StepCounters> steps, long? total, IAnsiConsole console, TimeSpan logInterval)
    {
        _console = console;
        _logInterval = logInterval;
        _pipeline = pipeline;
        _steps = steps;
        _total = total;
    }

    public static ProgressReporter Start(Pipeline pipeline, PipelineRunOptions options, IReadOnlyList<StepCounters> steps, long? total)
    {
        var console = options.Console ?? AnsiConsole.Console;
        var reporter = new ProgressReporter(pipeline, steps, total, console, options.ProgressInterval);
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

    private async Task LogAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(_logInterval, _stop.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            foreach (var line in Lines())
            {
                // Rule: a log line names only what the step has: calls and tokens for tasks, an ETA once one is known; never an empty field.
                var (isTask, hasEta) = (line[4].Length > 0, line[9].Length > 0);
                switch (isTask, hasEta)
                {
                    case (true, true):
                        _pipeline.Logger.LogInformation(
                            "Pipeline '{Pipeline}' step {Step}: rows in {In}, out {Out}, replayed {Replayed}, in flight {InFlight}, failed {Failed}, retries {Retries}, tokens {Tokens}, {Rate} rows/s, ETA {Eta}",
                            _pipeline.Name, line[0], line[1], line[2], line[3], line[4], line[5], line[6], line[7], line[8], line[9]);
                        break;
                    case (true, false):
                        _pipeline.Logger.LogInformation(
                            "Pipeline '{Pipeline}' step {Step}: rows in {In}, out {Out}, replayed {Replayed}, in flight {InFlight}, failed {Failed}, retries {Retries}, tokens {Tokens}, {Rate} rows/s",
                            _pipeline.Name, line[0], line[1], line[2], line[3], line[4], line[5], line[6], line[7], line[8]);
                        break;
                    case (false, true):
                        _pipeline.Logger.LogInformation(
                            "Pipeline '{Pipeline}' step {Step}: rows in {In}, out {Out}, replayed {Replayed}, {Rate} rows/s, ETA {Eta}",
                            _pipeline.Name, line[0], line[1], line[2], line[3], line[8], line[9]);
                        break;
                    default:
                        _pipeline.Logger.LogInformation(
                            "Pipeline '{Pipeline}' step {Step}: rows in {In}, out {Out}, replayed {Replayed}, {Rate} rows/s",
                            _pipeline.Name, line[0], line[1], line[2], line[3], line[8]);
                        break;
                }
                foreach (var server in ServersOf(line[0]))
                {
                    _pipeline.Logger.LogInformation("Pipeline '{Pipeline}' step {Step} server {Server}: {Answered} answered, {InFlight} in flight, {Failed} failed, {Ejections} ejections, {State}",
                        _pipeline.Name, line[0], server.Name, server.Answered, server.InFlight, server.Failed, server.Ejections, server.State.ToString().ToLowerInvariant());
                }
            }
        }
    }

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
