namespace Distil.Pipelines;

/// <summary>
/// Counts the rows the goal step (the last before the writers) lets through in one round, and
/// passes on only the first <see cref="Target"/>: the step emits in key order, so those are the
/// first good rows in generation order whatever the timing.
/// </summary>
internal sealed class GoodRowsCut(long target)
{
    private readonly List<RowKey> _kept = [];

    public long Target { get; } = target;

    /// <summary>Rows the goal step made this round, including those past the target.</summary>
    public long Survivors { get; private set; }

    /// <summary>The keys of the rows passed on, in order.</summary>
    public IReadOnlyList<RowKey> Kept => _kept;

    public bool Reached => Survivors >= Target;

    /// <summary>Whether the row goes on to the writers.</summary>
    public bool Pass(RowKey key)
    {
        Survivors++;
        if (Survivors > Target) return false;
        _kept.Add(key);
        return true;
    }
}
