namespace Distil.Pipelines;

/// <summary>A reviewer's judgement of one row: keep it or not. No verdict (null) means the row is not judged yet.</summary>
public enum ReviewVerdict
{
    /// <summary>The row is good: keep it.</summary>
    Accepted,

    /// <summary>The row is bad: leave it out of a dataset that keeps accepted (or not rejected) rows.</summary>
    Rejected,
}
