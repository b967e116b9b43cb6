namespace Distil.Pipelines;

/// <summary>The calls of one tool by one task step in one run.</summary>
/// <param name="Calls">Calls run in this run (calls read back from the run directory's journal are not among them: see <see cref="Reused"/>).</param>
/// <param name="Errors">Of <paramref name="Calls"/>, those that threw, timed out, or named no tool; the model was told each error.</param>
/// <param name="Elapsed">The time <paramref name="Calls"/> ran, together.</param>
public sealed record ToolStatistics(long Calls, long Errors, TimeSpan Elapsed)
{
    /// <summary>Calls an earlier run of the same run directory had finished: read back from its journal, not run again.</summary>
    public long Reused { get; init; }
}
