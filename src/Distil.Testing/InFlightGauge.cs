using System.Diagnostics;

namespace Distil.Testing;

/// <summary>
/// Counts requests in flight over time: the peak, and the time-weighted mean from the first
/// arrival to the last departure. A peak says a limit was reached once; the mean says it was kept
/// (a batch barrier reaches the peak too, then drains). Thread-safe.
/// </summary>
internal sealed class InFlightGauge
{
    private readonly object _lock = new();
    private int _inFlight;
    private int _peak;
    private long _lastChangeTicks;
    private double _inFlightTicks;
    private long _firstArrivalTicks = -1;
    private long _lastDepartureTicks;

    public int InFlight
    {
        get { lock (_lock) return _inFlight; }
    }

    public int Peak
    {
        get { lock (_lock) return _peak; }
    }

    public double Mean
    {
        get
        {
            lock (_lock)
            {
                var span = _lastDepartureTicks - _firstArrivalTicks;
                return _firstArrivalTicks < 0 || span <= 0 ? 0 : _inFlightTicks / span;
            }
        }
    }

    public void Arrive()
    {
        lock (_lock)
        {
            var now = Stopwatch.GetTimestamp();
            if (_firstArrivalTicks < 0) _firstArrivalTicks = _lastChangeTicks = now;
            _inFlightTicks += (double)_inFlight * (now - _lastChangeTicks);
            _lastChangeTicks = now;
            _inFlight++;
            if (_inFlight > _peak) _peak = _inFlight;
        }
    }

    public void Depart()
    {
        lock (_lock)
        {
            var now = Stopwatch.GetTimestamp();
            _inFlightTicks += (double)_inFlight * (now - _lastChangeTicks);
            _lastChangeTicks = _lastDepartureTicks = now;
            _inFlight--;
        }
    }

    /// <summary>Starts measuring again; requests still in flight count as the new peak.</summary>
    public void Reset()
    {
        lock (_lock)
        {
            _peak = _inFlight;
            _inFlightTicks = 0;
            _firstArrivalTicks = -1;
        }
    }
}
