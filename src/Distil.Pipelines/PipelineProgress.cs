namespace Distil.Pipelines;

/// <summary>
/// A display of a run's progress that a pipeline reports to, set in
/// <see cref="PipelineRunOptions.ProgressDisplay"/>. The run calls <see cref="Start"/> when its
/// steps start (once per round of a <c>GoodRows</c> goal) and disposes the returned handle when
/// they stop; in between the display reads the counts from <see cref="PipelineProgressRun.Snapshot"/>
/// as often as it likes. The Distil.Console package implements one: <c>ConsoleProgress.LiveTable()</c>,
/// a live table on the terminal. Without a display a run logs a few progress lines per step.
/// </summary>
public interface IPipelineProgress
{
    /// <summary>
    /// Whether the display can show progress here (a live table needs an interactive terminal).
    /// Under <see cref="ProgressMode.Auto"/> a run whose display cannot logs progress lines instead;
    /// under <see cref="ProgressMode.Live"/> the display is used either way.
    /// </summary>
    bool IsAvailable { get; }

    /// <summary>
    /// Starts showing <paramref name="run"/>. Disposing the handle stops the display, after one
    /// last look at the counts, so the final counts are shown. The display must not throw from
    /// the run's thread; it runs beside the run, which does not wait for it until it stops.
    /// </summary>
    IAsyncDisposable Start(PipelineProgressRun run);
}

/// <summary>A running pipeline, as a progress display sees it: its name, its size when known, and its counts.</summary>
public sealed class PipelineProgressRun
{
    private readonly Func<IReadOnlyList<StepProgress>> _snapshot;

    /// <summary>Creates the view of a run; <paramref name="snapshot"/> reads the counts at the moment it is called.</summary>
    public PipelineProgressRun(string pipeline, long? totalRows, Func<IReadOnlyList<StepProgress>> snapshot)
    {
        ArgumentNullException.ThrowIfNull(pipeline);
        ArgumentNullException.ThrowIfNull(snapshot);
        Pipeline = pipeline;
        TotalRows = totalRows;
        _snapshot = snapshot;
    }

    /// <summary>The pipeline's name.</summary>
    public string Pipeline { get; }

    /// <summary>The rows the sources will give, when they could be counted before the run; null otherwise.</summary>
    public long? TotalRows { get; }

    /// <summary>Every step's counts now, in the pipeline's order.</summary>
    public IReadOnlyList<StepProgress> Snapshot() => _snapshot();
}

/// <summary>
/// What one step has done so far. <paramref name="Total"/> is the rows the step will read, when the
/// sources could count them and the step keeps the row count (not a global step);
/// <paramref name="Servers"/> the servers of a task's balanced client, empty otherwise. The call
/// counts (<paramref name="InFlight"/> to <paramref name="OutputTokens"/>) are zero for a step that
/// is not a task (<paramref name="IsTask"/>).
/// </summary>
/// <param name="Name">The step's name.</param>
/// <param name="IsTask">Whether the step is an LLM task.</param>
/// <param name="Read">Rows the step has read.</param>
/// <param name="Written">Rows the step has written.</param>
/// <param name="Replayed">Rows read back from the run store rather than worked on again.</param>
/// <param name="InFlight">LLM calls waiting for an answer.</param>
/// <param name="FailedCalls">LLM calls that failed for good.</param>
/// <param name="Retries">LLM calls retried.</param>
/// <param name="InputTokens">Input tokens of the answered calls.</param>
/// <param name="OutputTokens">Output tokens of the answered calls.</param>
/// <param name="Total">The rows the step will read, when known.</param>
/// <param name="Done">Whether the step has finished all its rows.</param>
/// <param name="Servers">The servers of a task's balanced client, empty otherwise.</param>
public sealed record StepProgress(
    string Name, bool IsTask, long Read, long Written, long Replayed, long InFlight, long FailedCalls, long Retries,
    long InputTokens, long OutputTokens, long? Total, bool Done, IReadOnlyList<ServerStatistics> Servers)
{
    /// <summary>Answers of a task read back from the run directory's <c>answers.db</c> instead of asked again (paid for by an earlier run).</summary>
    public long AnswersReused { get; init; }

    /// <summary>
    /// The calls the task's model may have in flight now, when that limit adapts to the service
    /// (<see cref="AdaptiveConcurrency"/>, shared by every step on the model); null when fixed.
    /// </summary>
    public int? ConcurrencyLimit { get; init; }

    /// <summary>Calls the task's model refused (429, 503) or let time out so far, across every step on it, when its limit adapts.</summary>
    public long Refusals { get; init; }
}
