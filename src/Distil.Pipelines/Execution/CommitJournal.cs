namespace Distil.Pipelines;

/// <summary>What one input row of a step cost in this run, carried with the row to its commit.</summary>
/// <param name="Step">The step that made the row.</param>
/// <param name="OutputRows">How many output rows it gave.</param>
/// <param name="Counts">Its calls, failures, unparsed answers, tokens, retries, cache hits and call durations.</param>
internal sealed record RowCharges(string Step, int OutputRows, StepCounts Counts);

/// <summary>
/// Told by the run store of every burst of rows just before it commits them, with what those rows
/// cost (the run log, <see cref="RunLogWriter"/>). It returns a mark that the store writes in the
/// same transaction as the rows, so that a reader can tell the bursts whose rows are on disk from
/// one that the process did not live to commit.
/// </summary>
internal interface ICommitJournal
{
    /// <summary>Records a burst's charges (only rows that carry charges are passed); returns the mark to commit with it, or null for none.</summary>
    CommitMark? Committing(IReadOnlyList<RowCharges> charges);
}

/// <summary>A key and value the run store keeps (in its <c>meta</c> table) in the transaction of a burst.</summary>
internal readonly record struct CommitMark(string Key, string Value);
