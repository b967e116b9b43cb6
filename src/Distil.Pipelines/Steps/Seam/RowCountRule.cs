namespace Distil.Pipelines;

/// <summary>How a step's rows relate to its input's, for the estimate before a run (<see cref="PipelineStep.CountRows"/>).</summary>
public enum RowCountRelation
{
    /// <summary>One row out per row in.</summary>
    Same,

    /// <summary>At most one row out per row in: the step may drop rows.</summary>
    AtMost,

    /// <summary>A known number of rows out per row in (<see cref="RowCountRule.Factor"/>), exactly or at most.</summary>
    Times,

    /// <summary>Not known before the run; <see cref="RowCountRule.Reason"/> says what decides it.</summary>
    Unknown,
}

/// <summary>
/// How many rows a step gives from its (first) input's rows, known before the run: the same, at
/// most as many, a known factor of them, or unknown with the reason. A step kind says it by
/// overriding <see cref="PipelineStep.CountRows"/>; the estimate (<c>distil run --estimate</c>)
/// then carries the count through it and prints <see cref="Reason"/> as the step's part of the basis.
/// </summary>
/// <param name="Relation">How the rows relate.</param>
/// <param name="Factor">For <see cref="RowCountRelation.Times"/>: rows out per row in (exact or at most); else 1.</param>
/// <param name="Exact">For <see cref="RowCountRelation.Times"/>: whether every row gives exactly <see cref="Factor"/> rows.</param>
/// <param name="Reason">Why, in words (shown in the estimate); null for <see cref="RowCountRelation.Same"/> when nothing needs saying.</param>
public sealed record RowCountRule(RowCountRelation Relation, long Factor, bool Exact, string? Reason)
{
    /// <summary>Column → list length this step fixes (a gathered list of a known length); empty by default.</summary>
    public IReadOnlyDictionary<string, int> ListLengths { get; init; } = new Dictionary<string, int>();

    /// <summary>One row out per row in.</summary>
    public static RowCountRule Same(string? reason = null) => new(RowCountRelation.Same, 1, true, reason);

    /// <summary>At most one row out per row in; <paramref name="reason"/> says which rows it drops.</summary>
    public static RowCountRule AtMost(string reason) => new(RowCountRelation.AtMost, 1, false, Required(reason));

    /// <summary><paramref name="factor"/> rows out per row in, exactly or (<paramref name="exact"/> false) at most.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="factor"/> is below 1.</exception>
    public static RowCountRule Times(long factor, bool exact, string reason)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(factor, 1);
        return new(RowCountRelation.Times, factor, exact, Required(reason));
    }

    /// <summary>Not known before the run; <paramref name="reason"/> says what decides it.</summary>
    public static RowCountRule Unknown(string reason) => new(RowCountRelation.Unknown, 1, false, Required(reason));

    private static string Required(string reason)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(reason);
        return reason;
    }
}

/// <summary>What a step knows of its input before the run, to say its <see cref="RowCountRule"/>.</summary>
public sealed class RowCountContext
{
    private readonly IReadOnlyDictionary<string, int> _listLengths;

    internal RowCountContext(IReadOnlyList<RowSchema?> parentSchemas, IReadOnlyDictionary<string, int> listLengths)
    {
        ParentSchemas = parentSchemas;
        _listLengths = listLengths;
    }

    /// <summary>The columns of each parent's rows, in order (null where unknown).</summary>
    public IReadOnlyList<RowSchema?> ParentSchemas { get; }

    /// <summary>The columns of the first parent's rows (null where unknown).</summary>
    public RowSchema? Schema => ParentSchemas.Count > 0 ? ParentSchemas[0] : null;

    /// <summary>
    /// The length of list column <paramref name="column"/> on the first parent's rows when settings
    /// fix it (a task's grouped generations, a group step's lists), else null.
    /// </summary>
    public int? ListLength(string column) => _listLengths.TryGetValue(column, out var length) ? length : null;
}
