using Distil.Pipelines;
using System.Collections.Concurrent;
using System.Diagnostics.Metrics;

namespace Distil;

/// <summary>The names under which Distil publishes its measurements.</summary>
/// <example>
/// <code>
/// // OpenTelemetry: export the run's counters with the rest of the service's metrics.
/// builder.Services.AddOpenTelemetry().WithMetrics(m => m.AddMeter(DistilDiagnostics.MeterName));
/// </code>
/// </example>
public static class DistilDiagnostics
{
    /// <summary>The name of the <see cref="Meter"/> every run records its counters on.</summary>
    public const string MeterName = "Distil";

    /// <summary>
    /// The name of the <see cref="System.Diagnostics.ActivitySource"/> of Distil's spans: a pipeline
    /// run (<c>distil.pipeline</c>), each step (<c>distil.step</c>), each generation of a row
    /// (<c>distil.generation</c>) and, from a <see cref="ChatClientFactory"/> client, each LLM call
    /// attempt with the OpenTelemetry GenAI attributes (<c>chat MODEL</c>).
    /// </summary>
    public const string SourceName = "Distil";

    internal static readonly System.Diagnostics.ActivitySource Source = new(SourceName);
}

/// <summary>
/// The counters of one run (a pipeline run or one <c>ProcessAsync</c>), recorded once through
/// <see cref="System.Diagnostics.Metrics"/> instruments on a <see cref="Meter"/> named
/// <see cref="DistilDiagnostics.MeterName"/>, and read back from those same measurements by the
/// progress display, the run summary and <c>PipelineResult</c>. Each run has its own meter
/// instance, so two runs in one process never count each other's work; an exporter listening to
/// the name sees them all.
/// </summary>
/// <remarks>
/// Every measurement carries the step (or task) it belongs to as <c>distil.step</c>. Retries and
/// cache hits happen inside the LLM client, which is shared between runs: the call strategy marks
/// each call with <see cref="CallScope"/>, and the client middleware records through it.
/// </remarks>
internal sealed class RunMetrics : IDisposable
{
    public const string StepTag = "distil.step";
    public const string OutcomeTag = "distil.outcome";
    public const string TokenTypeTag = "gen_ai.token.type";
    public const string ToolTag = "gen_ai.tool.name";

    private readonly Meter _meter = new(DistilDiagnostics.MeterName);
    private readonly MeterListener _listener = new();
    private readonly ConcurrentDictionary<string, StepCounts> _steps = new(StringComparer.Ordinal);
    private readonly Counter<long> _rowsRead;
    private readonly Counter<long> _rowsWritten;
    private readonly Counter<long> _rowsReplayed;
    private readonly Counter<long> _rowsRetried;
    private readonly Counter<long> _rowsGenerated;
    private readonly Counter<long> _rowsSkipped;
    private readonly Counter<long> _calls;
    private readonly Counter<long> _unparsed;
    private readonly Counter<long> _rejected;
    private readonly Counter<long> _cutOff;
    private readonly Counter<long> _tokens;
    private readonly UpDownCounter<long> _inFlight;
    private readonly Counter<long> _retries;
    private readonly Counter<long> _cacheHits;
    private readonly Counter<long> _answersReused;
    private readonly Counter<long> _reasked;
    private readonly Counter<long> _repaired;
    private readonly Counter<long> _firstTry;
    private readonly Histogram<double> _callDuration;
    private readonly Counter<long> _toolCalls;

    public RunMetrics()
    {
        _rowsRead = _meter.CreateCounter<long>("distil.rows.read", "{row}", "Rows a step read from the steps before it.");
        _rowsWritten = _meter.CreateCounter<long>("distil.rows.written", "{row}", "Rows a step passed to the steps after it.");
        _rowsReplayed = _meter.CreateCounter<long>("distil.rows.replayed", "{row}", "Input rows a step took from the run store instead of computing them again.");
        _rowsRetried = _meter.CreateCounter<long>("distil.rows.retried", "{row}", "Input rows whose LLM calls failed for good in an earlier run, asked again in this one.");
        _rowsGenerated = _meter.CreateCounter<long>("distil.task.rows", "{row}", "Input rows a task turned into output rows in this run.");
        _rowsSkipped = _meter.CreateCounter<long>("distil.task.rows.skipped", "{row}", "Input rows a conditional task step did not ask for: they did not pass its condition.");
        _calls = _meter.CreateCounter<long>("distil.llm.calls", "{call}", "LLM calls that ended, by outcome (answered, failed after retries).");
        _unparsed = _meter.CreateCounter<long>("distil.llm.answers.unparsed", "{answer}", "Answers whose output could not be read; their output columns are null.");
        _rejected = _meter.CreateCounter<long>("distil.llm.answers.rejected", "{answer}", "Answers whose output broke a rule of its row; their output columns are null.");
        _cutOff = _meter.CreateCounter<long>("distil.llm.answers.cut_off", "{answer}", "Answers set aside (unreadable or breaking a rule) that had hit the token limit (finish reason length).");
        _tokens = _meter.CreateCounter<long>("distil.llm.tokens", "{token}", "Tokens the LLM reported, by type (input, output).");
        _inFlight = _meter.CreateUpDownCounter<long>("distil.llm.in_flight", "{call}", "LLM calls waiting on the service now.");
        _retries = _meter.CreateCounter<long>("distil.llm.retries", "{retry}", "LLM requests sent again after a transient fault.");
        _cacheHits = _meter.CreateCounter<long>("distil.llm.cache.hits", "{call}", "LLM calls answered from the response cache.");
        _answersReused = _meter.CreateCounter<long>("distil.llm.answers.reused", "{call}", "LLM calls answered from the answers an earlier run of the run directory paid for (answers.db): nothing sent, nothing paid.");
        _firstTry = _meter.CreateCounter<long>("distil.llm.answers.first_try", "{answer}", "Generations whose first answer was kept.");
        _repaired = _meter.CreateCounter<long>("distil.llm.answers.repaired", "{answer}", "Kept answers that were mended in reading (a number written as a word or fraction).");
        _callDuration = _meter.CreateHistogram<double>("distil.llm.call.duration", "s", "How long an LLM call took, its retries and waits for a rate limit included.");
        _toolCalls = _meter.CreateCounter<long>("distil.tool.calls", "{call}", "Tool calls a task ran for its model, by tool and outcome (answered, failed, reused from the run directory's journal).");
        _reasked = _meter.CreateCounter<long>("distil.llm.answers.reasked", "{answer}", "Generations whose answer did not fit and was asked again, by outcome (fit, lost).");

        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (ReferenceEquals(instrument.Meter, _meter)) listener.EnableMeasurementEvents(instrument, this);
        };
        _listener.SetMeasurementEventCallback<long>(static (instrument, value, tags, state) => ((RunMetrics)state!).Record(instrument, value, tags));
        _listener.SetMeasurementEventCallback<double>(static (instrument, value, tags, state) => ((RunMetrics)state!).RecordDuration(value, tags));
        _listener.Start();
    }

    // The input row whose work is being done in this async flow, if a step tallies it (see TallyRow).
    private static readonly AsyncLocal<(RunMetrics Metrics, string Step, StepCounts Counts)?> CurrentRow = new();

    /// <summary>What has been recorded for <paramref name="step"/> so far (zeros when nothing has).</summary>
    public StepCounts For(string step) => _steps.GetOrAdd(step, static _ => new StepCounts());

    /// <summary>
    /// From here to the end of the calling async method (and what it awaits), whatever is recorded
    /// for <paramref name="step"/> is also added to the returned counts: what one input row cost
    /// (calls, failures, tokens, retries, cache hits, durations), so that the run log can count it
    /// once the row is committed, and not before.
    /// </summary>
    public StepCounts TallyRow(string step)
    {
        var counts = new StepCounts();
        CurrentRow.Value = (this, step, counts);
        return counts;
    }

    public void RowRead(string step) => _rowsRead.Add(1, Step(step));

    public void RowWritten(string step) => _rowsWritten.Add(1, Step(step));

    public void RowReplayed(string step) => _rowsReplayed.Add(1, Step(step));

    public void RowRetried(string step) => _rowsRetried.Add(1, Step(step));

    public void RowGenerated(string step) => _rowsGenerated.Add(1, Step(step));

    public void RowSkipped(string step) => _rowsSkipped.Add(1, Step(step));

    public void CallStarted(string step) => _inFlight.Add(1, Step(step));

    public void CallEnded(string step) => _inFlight.Add(-1, Step(step));

    public void CallAnswered(string step, long? inputTokens, long? outputTokens)
    {
        _calls.Add(1, Step(step), new KeyValuePair<string, object?>(OutcomeTag, "answered"));
        if (inputTokens is > 0) _tokens.Add(inputTokens.Value, Step(step), new KeyValuePair<string, object?>(TokenTypeTag, "input"));
        if (outputTokens is > 0) _tokens.Add(outputTokens.Value, Step(step), new KeyValuePair<string, object?>(TokenTypeTag, "output"));
    }

    /// <summary>One call's duration, from its send to its answer or failure.</summary>
    public void CallTook(string step, TimeSpan duration) => _callDuration.Record(duration.TotalSeconds, Step(step));

    public void CallFailed(string step) => _calls.Add(1, Step(step), new KeyValuePair<string, object?>(OutcomeTag, "failed"));

    /// <summary>An answer kept with nothing readable; <paramref name="unfit"/> is its text and cause, kept as the step's sample.</summary>
    public void AnswerUnparsed(string step, UnfitAnswer? unfit = null)
    {
        _unparsed.Add(1, Step(step));
        Unfit(step, unfit);
    }

    /// <summary>An answer whose output broke a rule of its row.</summary>
    public void AnswerRejected(string step, UnfitAnswer unfit)
    {
        _rejected.Add(1, Step(step));
        Unfit(step, unfit, rejected: true);
    }

    // A sample of each cause (the first seen), and the answers that were cut off at the token limit.
    private void Unfit(string step, UnfitAnswer? unfit, bool rejected = false)
    {
        if (unfit is null) return;
        if (unfit.Cause == UnfitCause.CutOff) _cutOff.Add(1, Step(step), new KeyValuePair<string, object?>(OutcomeTag, rejected ? "rejected" : "unparsed"));
        For(step).KeepSample(unfit);
    }

    public void Retried(string step) => _retries.Add(1, Step(step));

    public void CacheHit(string step) => _cacheHits.Add(1, Step(step));

    /// <summary>
    /// A call answered from the run directory's answers (see <c>RunAnswers</c> of Distil.Pipelines): nothing
    /// sent, nothing paid, so neither a call nor tokens of this run.
    /// </summary>
    public void AnswerReused(string step) => _answersReused.Add(1, Step(step));

    public void AnswerRepaired(string step) => _repaired.Add(1, Step(step));

    public void AnswerFitFirst(string step) => _firstTry.Add(1, Step(step));

    /// <summary>
    /// One tool call of <paramref name="step"/> ended: <paramref name="tool"/>, how long it ran,
    /// whether it failed (threw, timed out, no such tool), and whether it was read back from the
    /// run directory's journal instead of run.
    /// </summary>
    public void ToolCalled(string step, string tool, TimeSpan elapsed, bool failed, bool reused)
    {
        var counts = For(step).Tool(tool);
        if (reused)
        {
            Interlocked.Increment(ref counts.ReusedField);
        }
        else
        {
            Interlocked.Increment(ref counts.CallsField);
            if (failed) Interlocked.Increment(ref counts.ErrorsField);
            Interlocked.Add(ref counts.ElapsedTicksField, elapsed.Ticks);
        }
        _toolCalls.Add(1, Step(step), new KeyValuePair<string, object?>(ToolTag, tool),
            new KeyValuePair<string, object?>(OutcomeTag, reused ? "reused" : failed ? "failed" : "answered"));
    }

    public void AnswerReasked(string step, bool fits) =>
        _reasked.Add(1, Step(step), new KeyValuePair<string, object?>(OutcomeTag, fits ? "fit" : "lost"));

    public void Dispose()
    {
        _listener.Dispose();
        _meter.Dispose();
    }

    private static KeyValuePair<string, object?> Step(string step) => new(StepTag, step);

    private void RecordDuration(double seconds, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        foreach (var tag in tags)
        {
            if (tag.Key != StepTag || tag.Value is not string step) continue;
            For(step).Latency.Record(TimeSpan.FromSeconds(seconds));
            RowOf(step)?.Latency.Record(TimeSpan.FromSeconds(seconds));
        }
    }

    // A listener's callback runs in the flow that recorded the measurement, so the row's tally is visible here.
    private StepCounts? RowOf(string step) =>
        CurrentRow.Value is { } row && ReferenceEquals(row.Metrics, this) && row.Step == step ? row.Counts : null;

    private void Record(Instrument instrument, long value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        string? step = null;
        string? detail = null;
        foreach (var tag in tags)
        {
            if (tag.Key == StepTag) step = tag.Value as string;
            else if (tag.Key is OutcomeTag or TokenTypeTag) detail = tag.Value as string;
        }
        if (step is null) return;
        Add(For(step), instrument, value, detail);
        if (RowOf(step) is { } row) Add(row, instrument, value, detail);
    }

    private void Add(StepCounts counts, Instrument instrument, long value, string? detail)
    {
        if (ReferenceEquals(instrument, _rowsRead)) Interlocked.Add(ref counts.ReadField, value);
        else if (ReferenceEquals(instrument, _rowsWritten)) Interlocked.Add(ref counts.WrittenField, value);
        else if (ReferenceEquals(instrument, _rowsReplayed)) Interlocked.Add(ref counts.ReplayedField, value);
        else if (ReferenceEquals(instrument, _rowsRetried)) Interlocked.Add(ref counts.RetriedField, value);
        else if (ReferenceEquals(instrument, _rowsGenerated)) Interlocked.Add(ref counts.RowsField, value);
        else if (ReferenceEquals(instrument, _rowsSkipped)) Interlocked.Add(ref counts.SkippedField, value);
        else if (ReferenceEquals(instrument, _calls)) Interlocked.Add(ref detail == "failed" ? ref counts.FailedCallsField : ref counts.CallsField, value);
        else if (ReferenceEquals(instrument, _unparsed)) Interlocked.Add(ref counts.UnparsedField, value);
        else if (ReferenceEquals(instrument, _rejected)) Interlocked.Add(ref counts.RejectedField, value);
        else if (ReferenceEquals(instrument, _cutOff)) Interlocked.Add(ref detail == "rejected" ? ref counts.CutOffRejectedField : ref counts.CutOffUnparsedField, value);
        else if (ReferenceEquals(instrument, _tokens)) Interlocked.Add(ref detail == "output" ? ref counts.OutputTokensField : ref counts.InputTokensField, value);
        else if (ReferenceEquals(instrument, _inFlight)) Interlocked.Add(ref counts.InFlightField, value);
        else if (ReferenceEquals(instrument, _retries)) Interlocked.Add(ref counts.RetriesField, value);
        else if (ReferenceEquals(instrument, _cacheHits)) Interlocked.Add(ref counts.CacheHitsField, value);
        else if (ReferenceEquals(instrument, _answersReused)) Interlocked.Add(ref counts.AnswersReusedField, value);
        else if (ReferenceEquals(instrument, _repaired)) Interlocked.Add(ref counts.RepairedField, value);
        else if (ReferenceEquals(instrument, _firstTry)) Interlocked.Add(ref counts.FirstTryField, value);
        else if (ReferenceEquals(instrument, _reasked))
        {
            Interlocked.Add(ref counts.ReaskedField, value);
            if (detail == "fit") Interlocked.Add(ref counts.ReaskFitsField, value);
        }
    }
}

/// <summary>The live counts of one step (or task) in one run, as <see cref="RunMetrics"/> received them.</summary>
internal sealed class StepCounts
{
    internal long ReadField;
    internal long WrittenField;
    internal long ReplayedField;
    internal long RetriedField;
    internal long RowsField;
    internal long SkippedField;
    internal long CallsField;
    internal long FailedCallsField;
    internal long UnparsedField;
    internal long RejectedField;
    internal long CutOffUnparsedField;
    internal long CutOffRejectedField;
    private readonly UnfitAnswer?[] _samples = new UnfitAnswer?[Enum.GetValues<UnfitCause>().Length];
    internal long InputTokensField;
    internal long OutputTokensField;
    internal long InFlightField;
    internal long RetriesField;
    internal long CacheHitsField;
    internal long AnswersReusedField;
    internal long ReaskedField;
    internal long ReaskFitsField;
    internal long RepairedField;
    internal long FirstTryField;

    /// <summary>Generations whose first answer was kept.</summary>
    public long FirstTry => Interlocked.Read(ref FirstTryField);

    /// <summary>Kept answers that were mended in reading.</summary>
    public long Repaired => Interlocked.Read(ref RepairedField);

    /// <summary>Generations whose answer did not fit and were asked again.</summary>
    public long Reasked => Interlocked.Read(ref ReaskedField);

    /// <summary>Of <see cref="Reasked"/>, those whose answer then fit.</summary>
    public long ReaskFits => Interlocked.Read(ref ReaskFitsField);

    /// <summary>Rows read from the steps before.</summary>
    public long Read => Interlocked.Read(ref ReadField);

    /// <summary>Rows passed on.</summary>
    public long Written => Interlocked.Read(ref WrittenField);

    /// <summary>Input rows taken from the run store.</summary>
    public long Replayed => Interlocked.Read(ref ReplayedField);

    /// <summary>Input rows stored with failed LLM calls by an earlier run, and asked again in this one.</summary>
    public long Retried => Interlocked.Read(ref RetriedField);

    /// <summary>Input rows a task generated in this run.</summary>
    public long Rows => Interlocked.Read(ref RowsField);

    /// <summary>Input rows a conditional task step skipped in this run (they did not pass its condition).</summary>
    public long Skipped => Interlocked.Read(ref SkippedField);

    /// <summary>Answered calls (a response cache's hits among them; answers reused from the run directory not: <see cref="AnswersReused"/>).</summary>
    public long Calls => Interlocked.Read(ref CallsField);

    /// <summary>Calls that failed after their retries.</summary>
    public long FailedCalls => Interlocked.Read(ref FailedCallsField);

    /// <summary>Answers that could not be read (nothing readable).</summary>
    public long Unparsed => Interlocked.Read(ref UnparsedField);

    /// <summary>Answers whose output broke a rule of its row.</summary>
    public long Rejected => Interlocked.Read(ref RejectedField);

    /// <summary>Of <see cref="Unparsed"/> and <see cref="Rejected"/>, the answers that had hit the token limit.</summary>
    public long CutOff => CutOffUnparsed + CutOffRejected;

    /// <summary>Of <see cref="Unparsed"/>, the answers that had hit the token limit.</summary>
    public long CutOffUnparsed => Interlocked.Read(ref CutOffUnparsedField);

    /// <summary>Of <see cref="Rejected"/>, the answers that had hit the token limit.</summary>
    public long CutOffRejected => Interlocked.Read(ref CutOffRejectedField);

    /// <summary>The first unfit answer of each cause seen so far, in <see cref="UnfitCause"/> order.</summary>
    public IReadOnlyList<UnfitAnswer> Samples => _samples.OfType<UnfitAnswer>().ToArray();

    /// <summary>Keeps <paramref name="unfit"/> as its cause's sample unless one is kept already.</summary>
    public void KeepSample(UnfitAnswer unfit) => Interlocked.CompareExchange(ref _samples[(int)unfit.Cause], unfit, null);

    public long InputTokens => Interlocked.Read(ref InputTokensField);

    public long OutputTokens => Interlocked.Read(ref OutputTokensField);

    /// <summary>Calls waiting on the LLM now.</summary>
    public long InFlight => Interlocked.Read(ref InFlightField);

    public long Retries => Interlocked.Read(ref RetriesField);

    public long CacheHits => Interlocked.Read(ref CacheHitsField);

    /// <summary>Calls answered from the run directory's answers, paid for by an earlier run: not among <see cref="Calls"/>.</summary>
    public long AnswersReused => Interlocked.Read(ref AnswersReusedField);

    /// <summary>How long the step's calls took.</summary>
    public LatencyHistogram Latency { get; } = new();

    private readonly ConcurrentDictionary<string, ToolCounts> _tools = new(StringComparer.Ordinal);

    /// <summary>The tool calls of the step so far, by tool name.</summary>
    public IReadOnlyDictionary<string, ToolCounts> Tools => _tools;

    /// <summary>The counts of <paramref name="tool"/>, made at its first call.</summary>
    public ToolCounts Tool(string tool) => _tools.GetOrAdd(tool, static _ => new ToolCounts());

    /// <summary>Adds the call counts of <paramref name="other"/> (calls, failures, unparsed, rejected and cut-off answers, tokens, retries, cache hits, reused answers, durations).</summary>
    public void AddCalls(StepCounts other)
    {
        Interlocked.Add(ref CallsField, other.Calls);
        Interlocked.Add(ref FailedCallsField, other.FailedCalls);
        Interlocked.Add(ref UnparsedField, other.Unparsed);
        Interlocked.Add(ref RejectedField, other.Rejected);
        Interlocked.Add(ref CutOffUnparsedField, other.CutOffUnparsed);
        Interlocked.Add(ref CutOffRejectedField, other.CutOffRejected);
        Interlocked.Add(ref InputTokensField, other.InputTokens);
        Interlocked.Add(ref OutputTokensField, other.OutputTokens);
        Interlocked.Add(ref RetriesField, other.Retries);
        Interlocked.Add(ref CacheHitsField, other.CacheHits);
        Interlocked.Add(ref AnswersReusedField, other.AnswersReused);
        Latency.Add(other.Latency);
    }
}

/// <summary>The live counts of one tool of one step: calls run, of them failed, calls read back from the journal, time spent.</summary>
internal sealed class ToolCounts
{
    internal long CallsField;
    internal long ErrorsField;
    internal long ReusedField;
    internal long ElapsedTicksField;

    /// <summary>Calls run in this run (not those read back from the journal).</summary>
    public long Calls => Interlocked.Read(ref CallsField);

    /// <summary>Of <see cref="Calls"/>, those that threw, timed out or named no tool.</summary>
    public long Errors => Interlocked.Read(ref ErrorsField);

    /// <summary>Calls an earlier run of the run directory finished, read back instead of run.</summary>
    public long Reused => Interlocked.Read(ref ReusedField);

    /// <summary>The time <see cref="Calls"/> ran, together.</summary>
    public TimeSpan Elapsed => TimeSpan.FromTicks(Interlocked.Read(ref ElapsedTicksField));
}

/// <summary>
/// Marks the LLM call in progress with the run and step it belongs to, so that middleware inside
/// the shared client (retries, the response cache, the run's answers) records on the right run's
/// meter, and the run's answers are kept under the row that asked.
/// </summary>
internal static class CallScope
{
    private static readonly AsyncLocal<Frame?> Current = new();

    /// <summary>
    /// One call in progress. A class, not a value: the middleware sets <see cref="Reused"/> deep
    /// inside the call, and the call strategy that entered the scope reads it once the call returns.
    /// </summary>
    public sealed class Frame(RunMetrics metrics, string step, string? rowKey, int repeat)
    {
        public RunMetrics Metrics { get; } = metrics;

        public string Step { get; } = step;

        public string? RowKey { get; } = rowKey;

        /// <summary>How many earlier calls of the generation sent the very same request (<see cref="CallRequest.Repeat"/>).</summary>
        public int Repeat { get; } = repeat;

        /// <summary>True once the run's answers (<c>RunAnswers</c> of Distil.Pipelines) answered this call: nothing was paid for it.</summary>
        public bool Reused { get; set; }
    }

    /// <summary>Sets the scope for the rest of the calling async method (and what it awaits), and returns it.</summary>
    public static Frame Enter(RunMetrics metrics, string step, string? rowKey = null, int repeat = 0)
    {
        var frame = new Frame(metrics, step, rowKey, repeat);
        Current.Value = frame;
        return frame;
    }

    /// <summary>The step (or task) whose call is in progress, if a run says; log lines name it.</summary>
    public static string? Step => Current.Value?.Step;

    /// <summary>The key of the row whose call is in progress (<c>RowKey</c> text), if a run says.</summary>
    public static string? RowKey => Current.Value?.RowKey;

    /// <summary>How many earlier calls of the generation in progress sent the very same request.</summary>
    public static int Repeat => Current.Value?.Repeat ?? 0;

    /// <summary>Records a retry of the call in progress, if it belongs to a run.</summary>
    public static void Retried()
    {
        if (Current.Value is { } scope) scope.Metrics.Retried(scope.Step);
    }

    /// <summary>Records a cache hit of the call in progress, if it belongs to a run.</summary>
    public static void CacheHit()
    {
        if (Current.Value is { } scope) scope.Metrics.CacheHit(scope.Step);
    }

    /// <summary>Marks the call in progress as answered from the run's own answers (counted by the call strategy).</summary>
    public static void AnswerReused()
    {
        if (Current.Value is { } scope) scope.Reused = true;
    }
}
