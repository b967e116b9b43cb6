using System.Runtime.CompilerServices;
using System.Text.Json.Nodes;

namespace Distil.Pipelines;

/// <summary>What a pipeline run produced: one dataset per leaf step, read from the run store.</summary>
public sealed class PipelineResult
{
    internal PipelineResult(string runDirectory, bool completed, IReadOnlyDictionary<string, Dataset> datasets, TimeSpan elapsed,
        IReadOnlyDictionary<string, TaskStatistics> tasks, double unreadableWarningShare = PipelineRunOptions.DefaultUnreadableWarningShare)
    {
        Tasks = tasks;
        Alarms = [.. tasks.Select(t => AnswerAlarm.For(t.Key, t.Value, unreadableWarningShare)).OfType<AnswerAlarm>()];
        RunDirectory = runDirectory;
        Completed = completed;
        Datasets = datasets;
        Elapsed = elapsed;
    }

    /// <summary>The folder holding the run store; running the same pipeline again resumes from it.</summary>
    public string RunDirectory { get; }

    /// <summary>False when a graceful stop ended the run before every row went through: run again to finish.</summary>
    public bool Completed { get; }

    /// <summary>The rows of every leaf step (the last step of each branch), by step name.</summary>
    public IReadOnlyDictionary<string, Dataset> Datasets { get; }

    /// <summary>What each task step did in this run (rows replayed from earlier runs cost nothing and count nothing), by step name.</summary>
    public IReadOnlyDictionary<string, TaskStatistics> Tasks { get; }

    /// <summary>
    /// The task steps whose answers were mostly useless in this run: more than
    /// <see cref="PipelineRunOptions.UnreadableWarningShare"/> of them unreadable or breaking a rule,
    /// or none readable at all (<see cref="AnswerAlarm.NoneReadable"/>). Empty when every step is fine.
    /// A run does not fail for these (the answers are paid for and stored): check them.
    /// </summary>
    /// <example>
    /// <code>
    /// foreach (var alarm in result.Alarms) Console.Error.WriteLine("warning: " + alarm.Message);
    /// if (result.Alarms.Any(a => a.NoneReadable)) return 1;
    /// </code>
    /// </example>
    public IReadOnlyList<AnswerAlarm> Alarms { get; }

    /// <summary>
    /// For a pipeline that generates until enough rows are good (<see cref="Pipeline.Generate(LlmTask, GoodRows, string?)"/>):
    /// how many it asked for, got and generated; null for any other pipeline.
    /// </summary>
    public GoodRowsOutcome? GoodRows { get; internal init; }

    /// <summary>
    /// The steps that recomputed in this run instead of replaying the rows an earlier run stored,
    /// in run order, each with why (a setting, the model, the prompt, its code, a step upstream) and
    /// how many stored rows it dropped. Empty for a first run and for a rerun with nothing changed.
    /// The run logs each as one line (<see cref="StepRecompute.Message"/>).
    /// </summary>
    public IReadOnlyList<StepRecompute> Recomputed { get; internal init; } = [];

    /// <summary>How long the run took.</summary>
    public TimeSpan Elapsed { get; }

    /// <summary>The dataset of the only leaf.</summary>
    /// <exception cref="InvalidOperationException">The pipeline has several leaves; use <see cref="Datasets"/>.</exception>
    public Dataset Dataset => Datasets.Count == 1
        ? Datasets.Values.Single()
        : throw new InvalidOperationException($"The pipeline has {Datasets.Count} leaf steps ({string.Join(", ", Datasets.Keys)}); pick one from Datasets.");
}

/// <summary>The rows a step produced in a run, read from the run store on demand (any size, constant memory).</summary>
public sealed class Dataset
{
    private readonly string? _storePath;
    private readonly string? _step;
    // A leaf whose rows are not stored (a source written as it is): its rows, read again.
    private readonly Func<CancellationToken, IAsyncEnumerable<JsonObject>>? _rows;
    private readonly IReadOnlySet<RowKey>? _keys;

    internal Dataset(string name, string storePath, string step)
    {
        Name = name;
        _storePath = storePath;
        _step = step;
    }

    // The good rows of a run with a GoodRows goal: the stored rows with these keys only.
    internal Dataset(string name, string storePath, string step, IReadOnlySet<RowKey> keys)
        : this(name, storePath, step) => _keys = keys;

    internal Dataset(string name, Func<CancellationToken, IAsyncEnumerable<JsonObject>> rows)
    {
        Name = name;
        _rows = rows;
    }

    /// <summary>The leaf step's name.</summary>
    public string Name { get; }

    /// <summary>How many rows there are (for a source written as it is, counted by reading it again).</summary>
    public long Count => _keys is not null ? _keys.Count
        : _rows is null ? RunStore.CountStep(_storePath!, _step!) : _rows(CancellationToken.None).ToBlockingEnumerable().LongCount();

    /// <summary>The rows, in order.</summary>
    public IAsyncEnumerable<JsonObject> ReadAsync(CancellationToken cancellationToken = default) =>
        _keys is not null ? RunStore.ReadStepAsync(_storePath!, _step!, _keys, cancellationToken)
        : _rows is null ? RunStore.ReadStepAsync(_storePath!, _step!, cancellationToken) : _rows(cancellationToken);

    /// <summary>All rows in a list (for small datasets).</summary>
    public async Task<List<JsonObject>> ToListAsync(CancellationToken cancellationToken = default)
    {
        var rows = new List<JsonObject>();
        await foreach (var row in ReadAsync(cancellationToken).ConfigureAwait(false)) rows.Add(row);
        return rows;
    }

    /// <summary>
    /// The rows, in order, each read as a <typeparamref name="T"/> (its columns by the columns rule,
    /// by generated code; columns it does not declare are ignored).
    /// </summary>
    /// <example><code>await foreach (var graded in result.Datasets["grade"].ReadAsync&lt;Graded&gt;()) ...</code></example>
    /// <exception cref="PipelineException">A row lacks a column of <typeparamref name="T"/> or holds a value of another type; the message names the row and the column.</exception>
    public async IAsyncEnumerable<T> ReadAsync<T>([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var mapper = RowMappers.For<T>();
        long index = 0;
        await foreach (var row in ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            // Rows count from 1, as in every row error.
            yield return mapper.Read(row, $"Row {++index} of step '{Name}'");
        }
    }

    /// <summary>All rows in a list, each read as a <typeparamref name="T"/> (for small datasets; see <see cref="ReadAsync{T}(CancellationToken)"/>).</summary>
    public async Task<List<T>> ToListAsync<T>(CancellationToken cancellationToken = default)
    {
        var rows = new List<T>();
        await foreach (var row in ReadAsync<T>(cancellationToken).ConfigureAwait(false)) rows.Add(row);
        return rows;
    }
}

/// <summary>The LLM calls of one task step in one run.</summary>
/// <param name="Calls">Answered calls (online, or answers collected from offline batches); answers reused from the run directory are not among them (<see cref="TaskStatistics.AnswersReused"/>).</param>
/// <param name="FailedCalls">Calls that failed after their retries; their rows have null outputs.</param>
/// <param name="InputTokens">Prompt tokens, as the services reported them.</param>
/// <param name="OutputTokens">Answer tokens, as the services reported them.</param>
/// <param name="Retries">Requests sent again after a transient fault (counted by the client's retry middleware).</param>
/// <param name="CacheHits">Calls answered from the response cache.</param>
/// <param name="UnparsedAnswers">Answers kept with nothing readable: they could not be parsed, or their outputs carry nothing (all null, lists of nulls included); their output columns hold the task's unreadable shape.</param>
/// <param name="ReaskedAnswers">Answers asked again at least once (see <see cref="LlmTask.Reasks"/>).</param>
/// <param name="ReaskFits">Of <paramref name="ReaskedAnswers"/>, those whose last answer fit.</param>
/// <param name="RejectedAnswers">Answers that were read but broke a rule of their row; their output columns hold the task's unreadable shape too.</param>
/// <param name="CutOffAnswers">Of <paramref name="UnparsedAnswers"/> and <paramref name="RejectedAnswers"/>, those that had hit the token limit (finish reason <c>length</c>).</param>
/// <param name="FitAnswers">Answers whose output was kept (at the first try, or after re-asks).</param>
public sealed record TaskStatistics(
    long Calls, long FailedCalls, long InputTokens, long OutputTokens, long Retries = 0, long CacheHits = 0, long UnparsedAnswers = 0, long ReaskedAnswers = 0, long ReaskFits = 0,
    long RejectedAnswers = 0, long CutOffAnswers = 0, long FitAnswers = 0)
{
    /// <summary>The model the task's client names, as the run reports it (e.g. <c>gpt-4o-mini (openai)</c>); null when it names none.</summary>
    public string? Model { get; init; }

    /// <summary>Answers kept in this run, fit or not (one per generation whose call was answered).</summary>
    public long Answers => FitAnswers + UnfitAnswers;

    /// <summary>Answers kept without output: <see cref="UnparsedAnswers"/> and <see cref="RejectedAnswers"/>.</summary>
    public long UnfitAnswers => UnparsedAnswers + RejectedAnswers;

    /// <summary>Of <see cref="UnfitAnswers"/>, how many had each cause (an answer cut off at the token limit counts as <see cref="UnfitCause.CutOff"/> only).</summary>
    public IReadOnlyDictionary<UnfitCause, long> UnfitByCause
    {
        // Given by a run; statistics made by hand split the counts as well as they can.
        get => field ?? new Dictionary<UnfitCause, long>
        {
            [UnfitCause.CutOff] = CutOffAnswers,
            [UnfitCause.RuleBroken] = RejectedAnswers,
            [UnfitCause.FormatNotFollowed] = Math.Max(0, UnparsedAnswers - CutOffAnswers),
        };
        init;
    }

    /// <summary>The first unfit answer of each cause in this run (its text, and the rule it broke), for warnings.</summary>
    public IReadOnlyList<UnfitAnswer> UnfitSamples { get; init; } = [];

    /// <summary>
    /// Input rows an earlier run stored with LLM calls that failed for good, asked again in this run
    /// (see <see cref="PipelineRunOptions.KeepFailedRows"/>).
    /// </summary>
    public long RetriedRows { get; init; }

    /// <summary>
    /// Input rows a conditional task step did not ask the LLM for in this run, because they did not
    /// pass its condition (see <see cref="StepHandle.Then(LlmTask, RowCondition, ColumnMappings?)"/>): not failed, not
    /// unreadable, and never asked again by a rerun.
    /// </summary>
    public long SkippedRows { get; init; }

    /// <summary>
    /// Calls answered in this run from the answers an earlier run of the same run directory paid
    /// for (its <c>answers.db</c>): the very same request of the same row. They cost nothing, so
    /// they are not among <see cref="Calls"/>, and their tokens are not among <see cref="InputTokens"/>
    /// and <see cref="OutputTokens"/>.
    /// </summary>
    public long AnswersReused { get; init; }

    /// <summary>
    /// The tool calls of the step in this run, by tool name (empty for a task without tools): see
    /// <see cref="ToolStatistics"/>.
    /// </summary>
    public IReadOnlyDictionary<string, ToolStatistics> Tools { get; init; } = new Dictionary<string, ToolStatistics>();

    internal static TaskStatistics From(StepCounts counts) =>
        new(counts.Calls, counts.FailedCalls, counts.InputTokens, counts.OutputTokens, counts.Retries, counts.CacheHits, counts.Unparsed, counts.Reasked, counts.ReaskFits,
            counts.Rejected, counts.CutOff, counts.FirstTry + counts.ReaskFits)
        {
            UnfitByCause = new Dictionary<UnfitCause, long>
            {
                [UnfitCause.CutOff] = counts.CutOff,
                [UnfitCause.FormatNotFollowed] = counts.Unparsed - counts.CutOffUnparsed,
                [UnfitCause.RuleBroken] = counts.Rejected - counts.CutOffRejected,
            },
            UnfitSamples = counts.Samples,
            RetriedRows = counts.Retried,
            SkippedRows = counts.Skipped,
            AnswersReused = counts.AnswersReused,
            Tools = counts.Tools.ToDictionary(t => t.Key, t => new ToolStatistics(t.Value.Calls, t.Value.Errors, t.Value.Elapsed) { Reused = t.Value.Reused }, StringComparer.Ordinal),
        };
}
