using System.Globalization;
using Microsoft.Extensions.Logging;

namespace Distil.Pipelines;

/// <summary>
/// Progress for a log nobody watches live (a redirected output, a CI log): few lines, each worth
/// reading. Rules, each applied per step:
/// <list type="bullet">
/// <item>A line only when the step made progress since its last line, and no sooner than the gap:
/// the interval (default 30 s) during the run's first minutes, then a tenth of the time the run has
/// taken, at most 5 minutes (a 20-minute run gives each busy step about 25 lines, a 2-hour run about 40).</item>
/// <item>While a task runs, only tasks get those lines: the other steps move at its pace.</item>
/// <item>One line when a step finishes.</item>
/// <item>A field is printed only when it is known (no empty slots); an ETA only once the step has
/// done enough rows for long enough, at a rate that held steady since its last line.</item>
/// </list>
/// Time comes from a <see cref="TimeProvider"/>, so tests can run a 20-minute run in a moment.
/// </summary>
internal sealed class ProgressLog
{
    /// <summary>The longest gap between two lines of a step, whatever the interval grows to.</summary>
    public static readonly TimeSpan LongestGap = TimeSpan.FromMinutes(5);

    // Too few rows, or too short a time, and a rate says nothing about the rest of the run.
    private const long RowsBeforeEta = 20;
    private static readonly TimeSpan TimeBeforeEta = TimeSpan.FromMinutes(1);

    // The rate since the last line may differ from the rate since the start by this factor, either way, and still count as steady.
    private const double SteadyFactor = 1.5;

    private readonly string _pipeline;
    private readonly ILogger _logger;
    private readonly TimeSpan _interval;
    private readonly TimeProvider _time;
    private readonly DateTimeOffset _start;
    private readonly Dictionary<string, StepState> _states = new(StringComparer.Ordinal);

    public ProgressLog(string pipeline, ILogger logger, TimeSpan interval, TimeProvider time)
    {
        _pipeline = pipeline;
        _logger = logger;
        _interval = interval;
        _time = time;
        _start = time.GetUtcNow();
    }

    /// <summary>How often the caller should call <see cref="Observe"/>: often enough for a finished step to be told promptly.</summary>
    public TimeSpan Tick => _interval < TimeSpan.FromSeconds(1) ? _interval : TimeSpan.FromSeconds(1);

    /// <summary>The shortest gap between two lines of a step, <paramref name="elapsed"/> into the run.</summary>
    public TimeSpan GapAt(TimeSpan elapsed)
    {
        var longest = _interval > LongestGap ? _interval : LongestGap;
        var tenth = elapsed / 10;
        return tenth < _interval ? _interval : tenth > longest ? longest : tenth;
    }

    /// <summary>Logs the lines that are due now.</summary>
    public void Observe(IReadOnlyList<StepProgress> steps)
    {
        var now = _time.GetUtcNow();
        var gap = GapAt(now - _start);
        var taskRunning = steps.Any(s => s.IsTask && !s.Done && Started(s));
        foreach (var step in steps)
        {
            if (!_states.TryGetValue(step.Name, out var state)) _states[step.Name] = state = new StepState();
            if (state.Finished) continue;
            if (state.StartedAt is null && Started(step)) state.StartedAt = now;
            if (step.Done)
            {
                state.Finished = true;
                _logger.LogInformation("Pipeline '{Pipeline}' step {Step} done: {Progress}", _pipeline, step.Name, Finished(step, state, now));
                continue;
            }
            var moved = step.Read != state.LastRead || step.Written != state.LastWritten;
            var due = now - (state.LastLineAt ?? _start) >= gap;
            if (!moved || !due || taskRunning && !step.IsTask) continue;
            _logger.LogInformation("Pipeline '{Pipeline}' step {Step}: {Progress}", _pipeline, step.Name, Running(step, state, now));
            (state.LastLineAt, state.LastRead, state.LastWritten, state.LastFresh) = (now, step.Read, step.Written, Fresh(step));
        }
    }

    private static bool Started(StepProgress step) => step.Read > 0 || step.Written > 0 || step.InFlight > 0;

    // Rows the step worked on in this run: a replayed row took no time, so it says nothing of the rate.
    private static long Fresh(StepProgress step) => Math.Max(step.Read - step.Replayed, 0);

    private string Running(StepProgress step, StepState state, DateTimeOffset now)
    {
        var fields = new List<string>
        {
            step.Total is { } total && step.Read <= total && total > 0
                ? $"{N(step.Read)} of {N(total)} rows in ({Math.Floor(100d * step.Read / total).ToString("0", CultureInfo.InvariantCulture)}%)"
                : $"{N(step.Read)} rows in",
            $"{N(step.Written)} out",
        };
        fields.AddRange(Calls(step));
        if (Rate(step, state, now) is { } rate) fields.Add(Rate(rate));
        if (Eta(step, state, now) is { } left) fields.Add("eta " + Duration(left, roundUpToMinutes: true));
        fields.AddRange(Servers(step));
        return string.Join(", ", fields);
    }

    private string Finished(StepProgress step, StepState state, DateTimeOffset now)
    {
        var fields = new List<string> { $"{N(step.Read)} rows in", $"{N(step.Written)} out" };
        fields.AddRange(Calls(step).Where(f => !f.EndsWith(" in flight", StringComparison.Ordinal)));
        if (state.StartedAt is { } started && now > started) fields.Add("in " + Duration(now - started, roundUpToMinutes: false));
        fields.AddRange(Servers(step));
        return string.Join(", ", fields);
    }

    // What a task asked: failures always (0 is news too), the rest only when there is any.
    private static IEnumerable<string> Calls(StepProgress step)
    {
        if (step.Replayed > 0) yield return $"{N(step.Replayed)} replayed";
        if (!step.IsTask) yield break;
        if (step.InFlight > 0) yield return $"{N(step.InFlight)} in flight";
        if (step.AnswersReused > 0) yield return $"{N(step.AnswersReused)} answers reused";
        yield return $"{N(step.FailedCalls)} failed calls";
        if (step.Retries > 0) yield return $"{N(step.Retries)} retries";
        if (step.ConcurrencyLimit is { } limit) yield return $"concurrency limit {N(limit)}" + (step.Refusals > 0 ? $" ({N(step.Refusals)} refusals)" : "");
        if (step.InputTokens + step.OutputTokens > 0) yield return $"{N(step.InputTokens)}/{N(step.OutputTokens)} tokens in/out";
    }

    private static IEnumerable<string> Servers(StepProgress step) =>
        step.Servers.Select(s => $"server {s.Name} {N(s.Answered)} answered, {N(s.Failed)} failed"
            + (s.ConcurrencyLimit is { } limit ? $", limit {N(limit)}" + (s.Refusals > 0 ? $" ({N(s.Refusals)} refusals)" : "") : "")
            + (s.State == ServerState.Healthy ? "" : $" ({s.State.ToString().ToLowerInvariant()})"));

    // Rows per second since the step started, from its fresh rows; null before it has any.
    private static double? Rate(StepProgress step, StepState state, DateTimeOffset now) =>
        state.StartedAt is { } started && now > started && Fresh(step) > 0
            ? Fresh(step) / (now - started).TotalSeconds
            : null;

    private static string Rate(double perSecond) =>
        perSecond >= 0.5 ? perSecond.ToString("#,0.0", CultureInfo.InvariantCulture) + " rows/s"
        : (perSecond * 60).ToString("#,0.0", CultureInfo.InvariantCulture) + " rows/min";

    /// <summary>
    /// The time left, when it can be told: the rows to go are known, the step has worked on enough
    /// rows for long enough, and its rate since its last line is within a factor of its rate since
    /// it started (a burst of replayed rows, a stall or a server coming back is not extrapolated).
    /// </summary>
    private static TimeSpan? Eta(StepProgress step, StepState state, DateTimeOffset now)
    {
        if (step.Total is not { } total || step.Read >= total || state.StartedAt is not { } started || state.LastLineAt is not { } last) return null;
        var fresh = Fresh(step);
        if (fresh < RowsBeforeEta || now - started < TimeBeforeEta || now <= last) return null;
        var overall = fresh / (now - started).TotalSeconds;
        var recent = (fresh - state.LastFresh) / (now - last).TotalSeconds;
        if (overall <= 0 || recent <= 0 || recent > overall * SteadyFactor || recent < overall / SteadyFactor) return null;
        return TimeSpan.FromSeconds((total - step.Read) / overall);
    }

    private static string N(long value) => value.ToString("N0", CultureInfo.InvariantCulture);

    /// <summary>A span as people say it: <c>45s</c>, <c>3m 5s</c>, <c>1h 52m</c>, <c>2d 3h</c>; an ETA in whole minutes (<c>&lt;1m</c>, <c>3m</c>).</summary>
    internal static string Duration(TimeSpan span, bool roundUpToMinutes)
    {
        if (roundUpToMinutes)
        {
            if (span < TimeSpan.FromMinutes(1)) return "<1m";
            span = TimeSpan.FromMinutes(Math.Ceiling(span.TotalMinutes));
        }
        return span switch
        {
            { TotalDays: >= 1 } => $"{(int)span.TotalDays}d {span.Hours}h",
            { TotalHours: >= 1 } => $"{(int)span.TotalHours}h {span.Minutes}m",
            { TotalMinutes: >= 1 } when roundUpToMinutes => $"{span.Minutes}m",
            { TotalMinutes: >= 1 } => $"{span.Minutes}m {span.Seconds}s",
            _ => $"{Math.Max((int)Math.Round(span.TotalSeconds), 1)}s",
        };
    }

    private sealed class StepState
    {
        public DateTimeOffset? StartedAt { get; set; }

        public DateTimeOffset? LastLineAt { get; set; }

        public long LastRead { get; set; }

        public long LastWritten { get; set; }

        public long LastFresh { get; set; }

        public bool Finished { get; set; }
    }
}
