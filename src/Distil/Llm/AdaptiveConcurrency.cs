using System.Diagnostics.Metrics;

namespace Distil;

/// <summary>One change of an <see cref="AdaptiveConcurrency"/> limit: when (from the limiter's creation) and to what.</summary>
/// <param name="At">Time since the limiter was made.</param>
/// <param name="Limit">The limit from then on.</param>
public readonly record struct ConcurrencyLimitChange(TimeSpan At, int Limit);

/// <summary>
/// The calls one model (or one server) may have in flight, found by watching its answers: it
/// starts modestly, grows while calls succeed and their latency holds, and cuts sharply when the
/// service refuses (HTTP 429, 503) or a call times out, never going above <see cref="Ceiling"/>.
/// A <c>Retry-After</c> pauses every new send until the time it names. Shared by every client of
/// one model (<see cref="ChatClientFactory"/> does so), so that three steps on one server share
/// its capacity instead of tripling it.
/// </summary>
/// <remarks>
/// <para>
/// Why not plain AIMD (add one per window, halve on a refusal)? Halving from just above the
/// capacity runs at three quarters of it on average. Here a refusal cuts the limit to
/// <see cref="CutFactor"/> of the calls in flight at that moment that are older than the refused
/// one (they were taken, or they would have been refused already: the capacity the service just
/// showed), at most once per round trip (a call sent before the last cut is part of the overshoot
/// that cut answered), and
/// growth slows near the point of the last refusal and quickens again away from it: the limit
/// settles just under the capacity and still finds capacity that comes back.
/// </para>
/// <para>
/// Before the first refusal the limit grows by one per answered call (doubling per round trip);
/// after it, by a step per window of calls that is largest far from the refusal point and smallest
/// near it. Growth happens only while the limit is the bound (calls wait for a slot, or every slot
/// is taken): a limiter that nothing presses does not drift upward.
/// </para>
/// <para>With <c>adaptive: false</c> the limit is the ceiling; refusals are still counted and <c>Retry-After</c> still pauses sends.</para>
/// </remarks>
public sealed class AdaptiveConcurrency
{
    /// <summary>The first limit of an adaptive limiter whose ceiling is higher (8).</summary>
    public const int DefaultInitialLimit = 8;

    /// <summary>The share of the calls in flight at a refusal that the limit is cut to (0.9).</summary>
    public const double CutFactor = 0.9;

    /// <summary>The highest limit when no ceiling is given (1024).</summary>
    public const int DefaultCeiling = 1024;

    // Growth per window of calls: between these, by the distance from the last refusal point.
    private const double SlowestStep = 0.05;
    private const double FastestStep = 1.0;
    // Growth stops while the answers take more than this many times the quickest latency seen.
    private const double LatencyTolerance = 2.0;
    private const int MaxHistory = 4096;
    // Answers before the latency average counts as settled enough to compare against.
    private const int SettlingAnswers = 20;

    private static readonly Meter Meter = new(DistilDiagnostics.MeterName);
    private static readonly List<WeakReference<AdaptiveConcurrency>> Live = [];
    private static readonly Counter<long> RefusalCounter = Meter.CreateCounter<long>(
        "distil.llm.refusals", "{call}", "Calls a model or server refused (HTTP 429, 503) or let time out, by model and server.");

    private readonly object _gate = new();
    private readonly TimeProvider _time;
    private readonly long _created;
    private readonly Queue<Waiter> _waiters = new();
    private readonly List<ConcurrencyLimitChange> _history = [];
    private readonly KeyValuePair<string, object?>[] _tags;
    private double _limit;
    private int _inFlight;
    private long _refusals;
    private bool _slowStart = true;
    private double _refusalPoint;
    private long _lastCut = long.MinValue;
    // When the limit last held a call back (or was reached): growth counts only the calls that saw it.
    private long _lastPressed = long.MinValue;
    // The calls in flight, oldest first: a refusal's estimate of the capacity counts those older than it.
    private readonly LinkedList<ConcurrencyLease> _running = new();
    private double _latencyMs;
    private double _quickestMs;
    private long _answers;
    private DateTimeOffset _pausedUntil = DateTimeOffset.MinValue;
    private ITimer? _resume;

    static AdaptiveConcurrency()
    {
        Meter.CreateObservableGauge("distil.llm.concurrency.limit", ObserveLimits, "{call}",
            "The calls a model or server may have in flight now (adaptive concurrency), by model and server.");
    }

    /// <summary>Makes a limiter for the model (and, behind a load balancer, the server) named.</summary>
    /// <param name="model">The model, as messages name it (no key, no query string).</param>
    /// <param name="server">The server, when the limiter is one server's of several (its address without credentials).</param>
    /// <param name="ceiling">The most calls at once, whatever the service takes (null: <see cref="DefaultCeiling"/> when adaptive, no bound when fixed).</param>
    /// <param name="adaptive">False: the limit is the ceiling and never moves.</param>
    /// <param name="initialLimit">The first limit (default <see cref="DefaultInitialLimit"/>, at most the ceiling).</param>
    /// <param name="time">The clock (tests pass a fake one).</param>
    /// <exception cref="ArgumentOutOfRangeException">The ceiling or the first limit is below 1.</exception>
    public AdaptiveConcurrency(string model, string? server = null, int? ceiling = null, bool adaptive = true, int? initialLimit = null, TimeProvider? time = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(model);
        if (ceiling is < 1) throw new ArgumentOutOfRangeException(nameof(ceiling), ceiling, "The ceiling must be 1 or more, or null.");
        if (initialLimit is < 1) throw new ArgumentOutOfRangeException(nameof(initialLimit), initialLimit, "The first limit must be 1 or more, or null.");
        Model = model;
        Server = server;
        IsAdaptive = adaptive;
        Ceiling = ceiling ?? (adaptive ? DefaultCeiling : null);
        _time = time ?? TimeProvider.System;
        _created = _time.GetTimestamp();
        _limit = adaptive ? Math.Min(Ceiling!.Value, initialLimit ?? DefaultInitialLimit) : Ceiling ?? int.MaxValue;
        _history.Add(new ConcurrencyLimitChange(TimeSpan.Zero, Limit));
        _tags = server is null ? [new("distil.model", model)] : [new("distil.model", model), new("distil.server", server)];
        lock (Live) Live.Add(new WeakReference<AdaptiveConcurrency>(this));
    }

    /// <summary>The model whose calls this limits.</summary>
    public string Model { get; }

    /// <summary>The server whose calls this limits, when it is one of several; else null.</summary>
    public string? Server { get; }

    /// <summary>What messages call it: the server when there is one, else the model.</summary>
    public string Name => Server ?? Model;

    /// <summary>Whether the limit moves with the answers (false: fixed at <see cref="Ceiling"/>).</summary>
    public bool IsAdaptive { get; }

    /// <summary>The most calls at once the limit may reach (null: fixed and unbounded).</summary>
    public int? Ceiling { get; }

    /// <summary>The calls that may be in flight now.</summary>
    public int Limit
    {
        get
        {
            lock (_gate) return LimitNow();
        }
    }

    /// <summary>The calls in flight now.</summary>
    public int InFlight
    {
        get
        {
            lock (_gate) return _inFlight;
        }
    }

    /// <summary>Calls refused (429, 503) or timed out so far.</summary>
    public long Refusals => Interlocked.Read(ref _refusals);

    /// <summary>Until when new sends wait, as the service asked (<c>Retry-After</c>); null when they need not.</summary>
    public DateTimeOffset? PausedUntil
    {
        get
        {
            lock (_gate) return _pausedUntil > _time.GetUtcNow() ? _pausedUntil : null;
        }
    }

    /// <summary>Every change of the limit so far, oldest first (thinned evenly on long runs), starting with the first limit.</summary>
    public IReadOnlyList<ConcurrencyLimitChange> History
    {
        get
        {
            lock (_gate) return _history.ToArray();
        }
    }

    /// <summary>Waits for a slot (first come, first served); settle the returned lease with the call's outcome.</summary>
    /// <exception cref="OperationCanceledException">The token was cancelled while waiting.</exception>
    public ValueTask<ConcurrencyLease> AcquireAsync(CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        Waiter waiter;
        lock (_gate)
        {
            if (_waiters.Count == 0 && MayStart()) return ValueTask.FromResult(Start());
            waiter = new Waiter();
            _waiters.Enqueue(waiter);
        }
        if (cancellationToken.CanBeCanceled)
        {
            waiter.Registration = cancellationToken.UnsafeRegister(static (state, token) => ((Waiter)state!).Completion.TrySetCanceled(token), waiter);
        }
        return new ValueTask<ConcurrencyLease>(waiter.Completion.Task);
    }

    /// <summary>Takes a slot if one is free now (and no one waits for one); null otherwise.</summary>
    public ConcurrencyLease? TryAcquire()
    {
        lock (_gate) return _waiters.Count == 0 && MayStart() ? Start() : null;
    }

    /// <summary>Whether a call could start now without waiting.</summary>
    public bool HasRoom
    {
        get
        {
            lock (_gate) return MayStart();
        }
    }

    /// <summary>
    /// How long a refused call waits before its retry number <paramref name="attempt"/> (from 0):
    /// about one latency window (the mean latency of the answers, 100 ms before any), doubled per
    /// attempt, with jitter, at most <paramref name="max"/>.
    /// </summary>
    internal TimeSpan RetryWindow(int attempt, TimeSpan max)
    {
        double ms;
        lock (_gate) ms = _latencyMs > 0 ? _latencyMs : 100;
        ms *= Math.Pow(2, attempt) * (0.5 + Random.Shared.NextDouble());
        var wait = TimeSpan.FromMilliseconds(ms);
        return wait < max ? wait : max;
    }

    /// <summary>Calls waiting for a slot now.</summary>
    public int Waiting
    {
        get
        {
            lock (_gate) return _waiters.Count;
        }
    }

    internal void Settle(ConcurrencyLease lease, CallOutcome outcome, TimeSpan? retryAfter)
    {
        lock (_gate)
        {
            var older = outcome == CallOutcome.Refused ? OlderInFlight(lease) : 0;
            _running.Remove(lease.Node);
            _inFlight--;
            var elapsed = _time.GetElapsedTime(lease.Started);
            switch (outcome)
            {
                case CallOutcome.Answered:
                    Answered(lease, elapsed);
                    break;
                case CallOutcome.Refused:
                    Refused(lease, older, retryAfter);
                    break;
            }
            Pump();
        }
    }

    // The calls in flight sent before this one: not refused although older, so the service took them.
    private int OlderInFlight(ConcurrencyLease lease)
    {
        var older = 0;
        for (var node = _running.First; node is not null && !ReferenceEquals(node, lease.Node); node = node.Next) older++;
        return older;
    }

    // Caller holds the gate.
    private int LimitNow() => _limit >= int.MaxValue ? int.MaxValue : Math.Max(1, (int)_limit);

    private bool MayStart()
    {
        if (_inFlight < LimitNow()) return _pausedUntil <= _time.GetUtcNow();
        _lastPressed = _time.GetTimestamp();
        return false;
    }

    private ConcurrencyLease Start()
    {
        _inFlight++;
        var lease = new ConcurrencyLease(this, _time.GetTimestamp());
        lease.Node = _running.AddLast(lease);
        if (_inFlight >= LimitNow()) _lastPressed = lease.Started;
        return lease;
    }

    // Hands free slots to waiters in order; a waiter that gave up hands its slot on.
    private void Pump()
    {
        while (_waiters.Count > 0 && MayStart())
        {
            var waiter = _waiters.Dequeue();
            var lease = Start();
            waiter.Registration.Dispose();
            if (!waiter.Completion.TrySetResult(lease))
            {
                _running.Remove(lease.Node);
                _inFlight--;
            }
        }
    }

    private void Answered(ConcurrencyLease lease, TimeSpan elapsed)
    {
        var ms = Math.Max(0.001, elapsed.TotalMilliseconds);
        // A slow average: answers' latencies spread widely (a long answer takes longer), and one
        // slow answer is not a service slowing down.
        _latencyMs = _latencyMs == 0 ? ms : 0.95 * _latencyMs + 0.05 * ms;
        _answers++;
        // The quickest average seen, once the average has settled: follows a faster one at once, a slower one only slowly.
        if (_answers >= SettlingAnswers)
        {
            _quickestMs = _quickestMs == 0 || _latencyMs < _quickestMs ? _latencyMs : _quickestMs + 0.01 * (_latencyMs - _quickestMs);
        }
        if (!IsAdaptive || _limit >= Ceiling!.Value) return;
        // Rule: grow only when the limit held calls back while this one ran, and the answers are not slowing down.
        var pressed = _waiters.Count > 0 || (_lastPressed != long.MinValue && _lastPressed >= lease.Started);
        if (!pressed || (_quickestMs > 0 && _latencyMs > LatencyTolerance * _quickestMs)) return;
        var step = _slowStart ? 1.0 : StepNearRefusalPoint() / _limit;
        SetLimit(Math.Min(Ceiling.Value, _limit + step));
    }

    // Calls of growth per window of calls: slow near the last refusal point, fast away from it.
    private double StepNearRefusalPoint()
    {
        var distance = Math.Abs(_limit - _refusalPoint) / Math.Max(1, _refusalPoint);
        return Math.Clamp(2 * distance * FastestStep, SlowestStep, FastestStep);
    }

    private void Refused(ConcurrencyLease lease, int older, TimeSpan? retryAfter)
    {
        Interlocked.Increment(ref _refusals);
        RefusalCounter.Add(1, _tags);
        if (retryAfter is { } wait && wait > TimeSpan.Zero) PauseUntil(_time.GetUtcNow() + wait);
        if (!IsAdaptive) return;
        // Rule: one cut per round trip: a call sent before the last cut was sent under the old
        // limit, and its refusal is part of the overshoot that cut answered already.
        if (_lastCut != long.MinValue && lease.Started < _lastCut) return;
        _lastCut = _time.GetTimestamp();
        _slowStart = false;
        // The calls in flight at the refusal that are older than the refused one were taken by
        // the service (a refusal comes back at once): with the refused call, what it holds now.
        // Never below half the calls in flight, though: a refusal of one of the oldest calls of a
        // burst would otherwise read as a tiny capacity. The refusal point, where growth slows, is
        // where the service refused: all the calls in flight then.
        var all = _inFlight + 1;
        var taken = Math.Max(older + 1, all / 2.0);
        _refusalPoint = all;
        SetLimit(Math.Max(1, Math.Min(_limit, CutFactor * taken)));
    }

    private void PauseUntil(DateTimeOffset until)
    {
        if (until <= _pausedUntil) return;
        _pausedUntil = until;
        ResumeAfter(until - _time.GetUtcNow());
    }

    // Rule: a pause always ends in a pump. A timer may fire a little before the clock reads the pause's end (timers and
    // the wall clock tick apart), and then nothing else would wake the waiters when no call is in flight: so a timer
    // that fires early sets itself again for what is left.
    private void ResumeAfter(TimeSpan due)
    {
        _resume?.Dispose();
        _resume = _time.CreateTimer(static state =>
        {
            var limiter = (AdaptiveConcurrency)state!;
            lock (limiter._gate)
            {
                var left = limiter._pausedUntil - limiter._time.GetUtcNow();
                if (left > TimeSpan.Zero) limiter.ResumeAfter(left);
                else limiter.Pump();
            }
        }, this, due > TimeSpan.Zero ? due : TimeSpan.Zero, Timeout.InfiniteTimeSpan);
    }

    private void SetLimit(double limit)
    {
        var before = LimitNow();
        _limit = limit;
        var after = LimitNow();
        if (after == before) return;
        if (_history.Count >= MaxHistory)
        {
            // Keep the first point and every other one after it: the shape survives, the size stays bounded.
            for (var i = _history.Count - 1; i > 0; i -= 2) _history.RemoveAt(i);
        }
        _history.Add(new ConcurrencyLimitChange(_time.GetElapsedTime(_created), after));
    }

    private static IEnumerable<Measurement<int>> ObserveLimits()
    {
        var measurements = new List<Measurement<int>>();
        lock (Live)
        {
            Live.RemoveAll(reference => !reference.TryGetTarget(out _));
            foreach (var reference in Live)
            {
                if (reference.TryGetTarget(out var limiter)) measurements.Add(new Measurement<int>(limiter.Limit, limiter._tags));
            }
        }
        return measurements;
    }

    private sealed class Waiter
    {
        public TaskCompletionSource<ConcurrencyLease> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public CancellationTokenRegistration Registration { get; set; }
    }
}

/// <summary>How a call that held a slot of an <see cref="AdaptiveConcurrency"/> ended.</summary>
internal enum CallOutcome
{
    /// <summary>It was answered: its latency counts.</summary>
    Answered,

    /// <summary>The service refused it (429, 503) or it timed out: the limit is cut.</summary>
    Refused,

    /// <summary>Anything else (a bad request, a cancelled call): the slot is given back, nothing learnt.</summary>
    Other,
}

/// <summary>A slot of an <see cref="AdaptiveConcurrency"/>, held for one call. Settle it once; disposing an unsettled one gives the slot back and teaches nothing.</summary>
public sealed class ConcurrencyLease : IDisposable
{
    private readonly AdaptiveConcurrency _owner;
    private int _settled;

    internal ConcurrencyLease(AdaptiveConcurrency owner, long started)
    {
        _owner = owner;
        Started = started;
    }

    internal long Started { get; }

    // Its place among the calls in flight of its limiter (guarded by the limiter's lock).
    internal LinkedListNode<ConcurrencyLease> Node { get; set; } = null!;

    /// <summary>The call was answered: its latency counts, and the limit may grow.</summary>
    public void Answered() => Settle(CallOutcome.Answered, null);

    /// <summary>The service refused the call (429, 503) or it timed out; <paramref name="retryAfter"/> is how long it asked to be left alone.</summary>
    public void Refused(TimeSpan? retryAfter = null) => Settle(CallOutcome.Refused, retryAfter);

    /// <summary>Gives the slot back, unless the call's outcome already did.</summary>
    public void Dispose() => Settle(CallOutcome.Other, null);

    private void Settle(CallOutcome outcome, TimeSpan? retryAfter)
    {
        if (Interlocked.Exchange(ref _settled, 1) == 0) _owner.Settle(this, outcome, retryAfter);
    }
}
