namespace Distil.Pipelines;

/// <summary>Which rows <see cref="ReviewedRows"/> keeps, by their verdict.</summary>
public enum ReviewKeep
{
    /// <summary>Every committed row, judged or not (the labels become columns).</summary>
    All,

    /// <summary>The rows with a verdict, accepted or rejected.</summary>
    Reviewed,

    /// <summary>The accepted rows only.</summary>
    Accepted,

    /// <summary>Every row but the rejected ones: the accepted and the not yet judged.</summary>
    NotRejected,
}
