using System.Text.Json.Nodes;

namespace Distil.Pipelines;

/// <summary>
/// Reads a run directory (while its run goes on, or after): the runs its log records and the rows each step
/// committed. The seam for tools that show a run (the HTML report of Distil.Reporting, a live view): it only reads,
/// and never takes the directory's lock.
/// </summary>
public static class RunDirectoryReader
{
    /// <summary>The run log's file name in a run directory (one JSON line per run start, committed rows and run end).</summary>
    public const string LogFileName = RunLog.FileName;

    /// <summary>The run store's file name in a run directory (SQLite: every committed row of every step).</summary>
    public const string StoreFileName = RunStore.FileName;

    /// <summary>The <c>outcome</c> of a run that has no end line: killed, or still running.</summary>
    public const string UnfinishedOutcome = RunLog.Unfinished;

    /// <summary>
    /// Every run of the directory, oldest first, each as one object: its end line, or for a run without one (killed,
    /// or still running) its start line with the counts of its committed rows and the outcome
    /// <see cref="UnfinishedOutcome"/>. A damaged line (cut short by a kill) is skipped; no log, no runs.
    /// </summary>
    public static IReadOnlyList<JsonObject> ReadRuns(string runDirectory)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(runDirectory);
        return RunLog.Read(runDirectory);
    }

    /// <summary>Whether <paramref name="runDirectory"/> has a run store.</summary>
    public static bool HasStore(string runDirectory) => File.Exists(Path.Combine(runDirectory, StoreFileName));

    /// <summary>The rows step <paramref name="step"/> committed, in order, read with constant memory.</summary>
    /// <exception cref="FileNotFoundException">The directory has no run store.</exception>
    public static IAsyncEnumerable<JsonObject> ReadStepRowsAsync(string runDirectory, string step, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(runDirectory);
        ArgumentException.ThrowIfNullOrWhiteSpace(step);
        var store = Path.Combine(runDirectory, StoreFileName);
        if (!File.Exists(store)) throw new FileNotFoundException($"'{runDirectory}' has no run store ({StoreFileName}).", store);
        return RunStore.ReadStepAsync(store, step, cancellationToken);
    }
}
