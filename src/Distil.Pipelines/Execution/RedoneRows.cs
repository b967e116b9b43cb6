namespace Distil.Pipelines;

/// <summary>
/// The stored rows a step computes again in this run instead of replaying them: rows whose LLM
/// calls failed for good in an earlier run (a task step's own), and everything made from such rows
/// downstream. A key is covered when it, or a key it was made from (<c>12</c> for <c>12.1</c>), is
/// in the set; a step over all rows at once (stored under <c>*</c>) is covered when any row is.
/// </summary>
internal sealed class RedoneRows
{
    /// <summary>No row: every stored row is replayed.</summary>
    public static readonly RedoneRows None = new([], all: false);

    private readonly HashSet<string> _keys;
    private readonly bool _all;

    private RedoneRows(HashSet<string> keys, bool all) => (_keys, _all) = (keys, all);

    /// <summary>The rows with these input keys, and the rows made from them.</summary>
    public static RedoneRows Of(IEnumerable<string> keys)
    {
        var set = new HashSet<string>(keys, StringComparer.Ordinal);
        return set.Count == 0 ? None : new RedoneRows(set, all: false);
    }

    /// <summary>True when no row is computed again.</summary>
    public bool IsEmpty => !_all && _keys.Count == 0;

    /// <summary>
    /// What the steps after <paramref name="step"/> compute again when it computes these rows again:
    /// the same keys, or every row after a step that numbers its output rows afresh (a global step).
    /// </summary>
    public RedoneRows After(PipelineStep step) => !IsEmpty && step is GlobalNode ? new RedoneRows([], all: true) : this;

    /// <summary>The rows of both sets.</summary>
    public RedoneRows With(RedoneRows other)
    {
        if (other.IsEmpty) return this;
        if (IsEmpty) return other;
        var keys = new HashSet<string>(_keys, StringComparer.Ordinal);
        keys.UnionWith(other._keys);
        return new RedoneRows(keys, _all || other._all);
    }

    /// <summary>Whether the row stored under <paramref name="key"/> is computed again.</summary>
    public bool Covers(RowKey key)
    {
        if (IsEmpty) return false;
        if (_all || key.Text == "*") return true;
        // The key itself, then each key it was made from: 12.1.0, 12.1, 12.
        var text = key.Text;
        while (true)
        {
            if (_keys.Contains(text)) return true;
            var dot = text.LastIndexOf('.');
            if (dot < 0) return false;
            text = text[..dot];
        }
    }

    /// <summary>Whether <paramref name="key"/> is exactly one of the set's keys (a failed row of the step itself).</summary>
    public bool Holds(RowKey key) => _keys.Contains(key.Text);
}
