using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Distil.Pipelines;

/// <summary>
/// A graph of steps that rows stream through: loaders, plain steps, LLM tasks, joins and writers.
/// Build it with <see cref="Create"/> and the methods of <see cref="StepHandle"/>; run it with
/// <see cref="RunAsync(PipelineRunOptions?, CancellationToken)"/>. Every step's finished rows are committed to a SQLite store in the run
/// directory, so a run that was stopped or killed resumes where it was, without asking the LLM
/// again for finished rows.
/// </summary>
/// <example>
/// <code>
/// var result = await Pipeline.Create("feedback")
///     .Load(RowSources.Jsonl("questions.jsonl"))
///     .Then(new TextGeneration { Llm = llm, MaxConcurrency = 16 })
///     .Write(RowSinks.Jsonl("answers.jsonl"))
///     .RunAsync();
/// </code>
/// </example>
public sealed class Pipeline
{
    private readonly List<PipelineStep> _steps = [];
    private readonly Dictionary<string, int> _autoNames = new(StringComparer.Ordinal);

    private Pipeline(string name) => Name = name;

    /// <summary>The pipeline's name: the default run directory is <c>.distil/&lt;name&gt;</c>.</summary>
    public string Name { get; }

    /// <summary>Where the run store lives (default <c>.distil/&lt;name&gt;</c> in the current directory).</summary>
    public string RunDirectory { get; set; } = "";

    /// <summary>Receives the run's log: validation, resumption, progress lines when no terminal shows them.</summary>
    public ILogger Logger { get; set; } = NullLogger.Instance;

    /// <summary>The steps in the order they were added.</summary>
    internal IReadOnlyList<PipelineStep> Steps => _steps;

    /// <summary>Starts an empty pipeline.</summary>
    /// <exception cref="ArgumentException">The name is empty or holds characters a folder name cannot.</exception>
    public static Pipeline Create(string name)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        if (name.IndexOfAny(Path.GetInvalidFileNameChars()) >= 0 || name is "." or "..")
        {
            throw new ArgumentException($"The pipeline name '{name}' must be usable as a folder name.", nameof(name));
        }
        return new Pipeline(name);
    }

    /// <summary>Adds a loader: the start of a branch of the graph.</summary>
    public StepHandle Load(IRowSource source, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(source);
        return Add(new LoadNode(name ?? AutoName("load_data"), source));
    }

    /// <summary>
    /// Loads <paramref name="source"/> as rows declared by <typeparamref name="TRow"/>: each public
    /// property of the record is a column (snake_case, or its <see cref="ColumnAttribute"/>), so the
    /// columns are known before a row is read (and, in the IDE, checked against the steps that read
    /// them: DISTIL016). A row without a column the record requires (one neither nullable nor
    /// defaulted) stops the run with an error naming the row and the column; other columns of the
    /// rows are left out. The records are mapped by code the generator writes (no reflection, safe
    /// for NativeAOT); see <see cref="RowMappers"/>.
    /// </summary>
    /// <exception cref="ArgumentException"><typeparamref name="TRow"/> has a property a row cannot hold (a nested record).</exception>
    public StepHandle Load<TRow>(IRowSource source, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(source);
        return Load(new TypedRowSource(source, RowMappers.For<TRow>()), name);
    }

    /// <summary>
    /// Loads records as rows: each public property of <typeparamref name="TRow"/> is a column
    /// (snake_case, or its <see cref="ColumnAttribute"/>), with the type of the property.
    /// </summary>
    /// <exception cref="ArgumentException"><typeparamref name="TRow"/> has a property a row cannot hold (a nested record).</exception>
    public StepHandle Load<TRow>(IEnumerable<TRow> rows, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(rows);
        var columns = RowMappers.For<TRow>();
        return Load(new TypedRowSource(new MemoryRowSource(rows.Select(r => columns.ToRow(r ?? throw new ArgumentException("A row is null.", nameof(rows))))), columns), name);
    }

    /// <summary>
    /// Starts a branch with a step that makes rows from nothing, such as a typed
    /// <see cref="GeneratorStep{TOut}"/>: <c>pipeline.Start(new Topics { Levels = 2 }).Then(...)</c>.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="step"/> takes parents, is in a pipeline already, or its name is taken.</exception>
    public StepHandle Start(PipelineStep step)
    {
        ArgumentNullException.ThrowIfNull(step);
        if (step.ParentCount.Min > 0)
            throw new ArgumentException($"Step '{step.Name}' ({step.Kind}) reads rows, so it cannot start a branch; add it with Then(...) after a step that gives it rows.", nameof(step));
        return AddNamed(step, null, nameof(step));
    }

    /// <summary>Adds a loader of rows in memory.</summary>
    public StepHandle Load(IEnumerable<JsonObject> rows, string? name = null) => Load(new MemoryRowSource(rows), name);

    /// <summary>
    /// Joins branches: one row per source row that every branch produced, with the columns of all
    /// (later branches win; metadata is merged). Each branch must give at most one row per source row.
    /// </summary>
    public StepHandle CombineOutputs(params StepHandle[] branches) => CombineOutputs(null, branches);

    /// <inheritdoc cref="CombineOutputs(StepHandle[])"/>
    public StepHandle CombineOutputs(string? name, params StepHandle[] branches) =>
        Join(new CombineOutputsNode(name ?? AutoName("combine_outputs")), branches);

    /// <summary>
    /// Joins branches and gathers <paramref name="columns"/> into lists, one item per branch in order:
    /// <c>generation</c> becomes <c>grouped_generation</c> (or the matching name of <paramref name="outputColumns"/>).
    /// </summary>
    public StepHandle GroupColumns(IReadOnlyList<string> columns, IReadOnlyList<string>? outputColumns, params StepHandle[] branches) =>
        GroupColumns(null, columns, outputColumns, branches);

    /// <inheritdoc cref="GroupColumns(IReadOnlyList{string}, IReadOnlyList{string}?, StepHandle[])"/>
    public StepHandle GroupColumns(string? name, IReadOnlyList<string> columns, IReadOnlyList<string>? outputColumns, params StepHandle[] branches)
    {
        ArgumentNullException.ThrowIfNull(columns);
        var outputs = outputColumns ?? columns.Select(c => "grouped_" + c).ToList();
        if (outputs.Count != columns.Count)
        {
            throw new ArgumentException($"GroupColumns got {columns.Count} columns but {outputs.Count} output columns; give one output name per column.", nameof(outputColumns));
        }
        return Join(new GroupColumnsNode(name ?? AutoName("group_columns"), columns, outputs), branches);
    }

    /// <summary>
    /// Adds a task that is not connected yet; connect it with <see cref="Connect(StepHandle, StepHandle)"/>. For graphs
    /// described as steps and edges (a pipeline file); code usually calls <see cref="StepHandle.Then(LlmTask)"/>.
    /// </summary>
    public StepHandle AddTask(LlmTask task)
    {
        ArgumentNullException.ThrowIfNull(task);
        return Add(new TaskNode(task));
    }

    /// <summary>Adds an edge: rows of <paramref name="from"/> flow into <paramref name="to"/>. Checked when the pipeline runs.</summary>
    public void Connect(StepHandle from, StepHandle to)
    {
        ArgumentNullException.ThrowIfNull(from);
        ArgumentNullException.ThrowIfNull(to);
        if (from.Pipeline != this || to.Pipeline != this) throw new ArgumentException("Both steps must belong to this pipeline.");
        Connect(from.Step, to.Step);
    }

    /// <summary>
    /// Validates the graph and runs it: loaders stream rows through every step; writers write their
    /// files when every row went through. Finished rows are committed to the run directory as they
    /// finish; a later run with the same steps resumes from them.
    /// </summary>
    /// <param name="options">Runtime parameters, graceful stop, progress; defaults when null.</param>
    /// <param name="cancellationToken">Stops at once; what is committed stays for the next run.</param>
    /// <exception cref="PipelineException">The graph is not valid (before any LLM call), or a step failed.</exception>
    public Task<PipelineResult> RunAsync(PipelineRunOptions? options = null, CancellationToken cancellationToken = default) =>
        new PipelineRunner(this, options ?? new PipelineRunOptions()).RunAsync(cancellationToken);

    /// <inheritdoc cref="RunAsync(PipelineRunOptions?, CancellationToken)"/>
    public Task<PipelineResult> RunAsync(CancellationToken cancellationToken) => RunAsync(null, cancellationToken);

    /// <summary>
    /// Checks the pipeline as <see cref="RunAsync(PipelineRunOptions?, CancellationToken)"/> does
    /// before its first call (names, edges, cycles, the columns each step needs, a column with two
    /// types where branches join), without calling an LLM or touching the run directory, and
    /// returns the columns and types of every step's rows: the schema the files will have.
    /// </summary>
    /// <param name="parameters">Runtime parameters to apply first, as a run would.</param>
    /// <param name="cancellationToken">Stops reading the sources (their schema comes from a scan).</param>
    /// <exception cref="PipelineException">The pipeline is not valid; the message names every problem.</exception>
    /// <example>
    /// <code>
    /// Console.WriteLine(await pipeline.ValidateAsync());   // each step and its columns, "name: type"
    /// </code>
    /// </example>
    public async Task<PipelineSchema> ValidateAsync(RuntimeParameters? parameters = null, CancellationToken cancellationToken = default)
    {
        var (order, schemas) = await PipelineRunner.ValidateAsync(this, parameters, cancellationToken).ConfigureAwait(false);
        return new PipelineSchema(order.Select(step => new StepSchema(step.Name, step.Kind, schemas[step])).ToList());
    }

    /// <summary>
    /// Makes <paramref name="rows"/> rows from nothing with <paramref name="task"/>, a task that needs
    /// no input column (<c>magpie</c>, or a task of your own whose prompt is all template text): each
    /// row is a fresh draw from the same prompt, with its own seed (the task's seed plus the row's
    /// number) and its own response-cache key. It is a step like any other: a stopped run resumes
    /// and asks only for the rows it lacks.
    /// </summary>
    /// <exception cref="ArgumentException">The task needs input columns; give it rows with <c>Load(...).Then(task)</c>.</exception>
    public StepHandle Generate(LlmTask task, long rows, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(task);
        ArgumentOutOfRangeException.ThrowIfNegative(rows);
        if (task.RequiredInputs.Count > 0)
            throw new ArgumentException($"Task '{task.Name}' needs input columns ({string.Join(", ", task.RequiredInputs)}), so it cannot make rows from nothing; give it rows with Load(...).Then(task).", nameof(task));
        task.DistinctRowDraws = true;
        var source = Load(new EmptyRowSource(rows), name ?? AutoName(task.Name + "_rows"));
        return source.Then(task);
    }

    /// <summary>
    /// Makes rows from nothing with <paramref name="task"/> (as <see cref="Generate(LlmTask, long, string?)"/>)
    /// until <see cref="GoodRows.Target"/> of them reach the end of the pipeline, past its filters,
    /// validators and dedup: the run generates in rounds sized from the survival rate seen so far,
    /// at most <see cref="GoodRows.MaxRows"/> rows in all, and its dataset (and every file written)
    /// is the first <see cref="GoodRows.Target"/> good rows in generation order. Row i is the same
    /// draw in every round and every run, so a resumed run replays what it had and asks only for new
    /// rows. <see cref="PipelineResult.GoodRows"/> says what the run got.
    /// </summary>
    /// <exception cref="ArgumentException">The task needs input columns.</exception>
    public StepHandle Generate(LlmTask task, GoodRows goal, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(task);
        ArgumentNullException.ThrowIfNull(goal);
        if (task.RequiredInputs.Count > 0)
            throw new ArgumentException($"Task '{task.Name}' needs input columns ({string.Join(", ", task.RequiredInputs)}), so it cannot make rows from nothing; give it rows with Load(...).Then(task).", nameof(task));
        task.DistinctRowDraws = true;
        return Load(new GoodRowsSource(goal), name ?? AutoName(task.Name + "_rows")).Then(task);
    }

    /// <summary>
    /// Makes one row per seed row with <paramref name="task"/>, each a draw of its own: the task reads
    /// the seed's columns (a topic, a difficulty, a persona from <see cref="RowSources.Sample(long, int, IReadOnlyDictionary{string, SampledColumn})"/>),
    /// and two seeds with the same values still get different answers (their own seed and cache key).
    /// Resumable like any step.
    /// </summary>
    public StepHandle Generate(LlmTask task, IRowSource seeds, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(task);
        ArgumentNullException.ThrowIfNull(seeds);
        return Load(seeds, name ?? AutoName(task.Name + "_seeds")).Generate(task);
    }

    /// <summary>
    /// Checks the pipeline as <see cref="ValidateAsync"/> does and counts, without calling a model,
    /// what each task step will ask: its rows and calls, the input tokens of the very prompts it will
    /// send (with the model's tokenizer when its client offers an <see cref="ITokenCounter"/>, else
    /// a stated approximation), a bound on output tokens from <c>max_new_tokens</c>, and a cost range
    /// from <see cref="EstimateOptions.Prices"/>. A task whose rows come from an LLM step, a join or a
    /// filter after one gets its rows and calls exactly or as an upper bound (<see cref="TaskEstimate.RowsAreExact"/>);
    /// its input tokens are counted only once its prompts exist.
    /// </summary>
    /// <exception cref="PipelineException">The pipeline is not valid, or a row cannot be formatted.</exception>
    public Task<PipelineEstimate> EstimateAsync(EstimateOptions? options = null, CancellationToken cancellationToken = default) =>
        PipelineEstimator.EstimateAsync(this, options ?? new EstimateOptions(), cancellationToken);

    internal StepHandle Add(PipelineStep step, PipelineStep? parent = null)
    {
        step.InPipeline = true;
        _steps.Add(step);
        if (parent is not null) Connect(parent, step);
        return new StepHandle(this, step);
    }

    // A step from outside the core (a package's step kind): its name is its own, so it is checked here.
    internal StepHandle AddNamed(PipelineStep step, PipelineStep? parent, string parameter)
    {
        if (_steps.Contains(step) || step.Parents.Count > 0 || step.Children.Count > 0 || step.InPipeline)
        {
            throw new ArgumentException($"Step '{step.Name}' is in a pipeline already; make a new step object for each place it runs.", parameter);
        }
        // A typed step made without a name takes its kind's next free name (normalize, normalize_2...).
        if (!step.HasOwnName) step.TakeName(NewStepName(step.Kind));
        if (_steps.Any(s => s.Name == step.Name))
        {
            throw new ArgumentException($"Pipeline '{Name}' has a step named '{step.Name}' already; step names are unique (pass another name).", parameter);
        }
        return Add(step, parent);
    }

    internal static void Connect(PipelineStep parent, PipelineStep child)
    {
        parent.Children.Add(child);
        child.Parents.Add(parent);
    }

    /// <summary>
    /// A step name not yet used in the pipeline, made from <paramref name="kind"/>: <c>shout</c>, then
    /// <c>shout_2</c>… What a step kind's extension method names its step when not given a name.
    /// </summary>
    public string NewStepName(string kind)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(kind);
        string name;
        do name = AutoName(kind); while (_steps.Any(s => s.Name == name));
        return name;
    }

    internal string AutoName(string kind)
    {
        var count = _autoNames[kind] = _autoNames.GetValueOrDefault(kind) + 1;
        return count == 1 ? kind : $"{kind}_{count}";
    }

    /// <summary>The full path of the run directory a run would use now.</summary>
    public string RunDirectoryPath =>
        Path.GetFullPath(string.IsNullOrWhiteSpace(RunDirectory) ? Path.Combine(".distil", Name) : RunDirectory);

    private StepHandle Join(PipelineStep join, StepHandle[] branches)
    {
        ArgumentNullException.ThrowIfNull(branches);
        if (branches.Length < 2) throw new ArgumentException($"'{join.Kind}' joins two branches or more; got {branches.Length}.", nameof(branches));
        foreach (var branch in branches)
        {
            if (branch.Pipeline != this) throw new ArgumentException($"Step '{branch.Name}' belongs to another pipeline.", nameof(branches));
        }
        var handle = Add(join);
        foreach (var branch in branches) Connect(branch.Step, join);
        return handle;
    }
}

/// <summary>Settings of one run of a pipeline.</summary>
public sealed class PipelineRunOptions
{
    /// <summary>The default of <see cref="UnreadableWarningShare"/>: one answer in ten.</summary>
    public const double DefaultUnreadableWarningShare = 0.1;

    /// <summary>
    /// Past what share of a task step's answers in a run (unreadable, or breaking a rule of their
    /// row, out of all answered generations) the step gets an <see cref="AnswerAlarm"/> in
    /// <see cref="PipelineResult.Alarms"/>; between 0 and 1 (default 0.1). A step with no readable
    /// answer at all gets one whatever the share.
    /// </summary>
    public double UnreadableWarningShare
    {
        get;
        init => field = value is >= 0 and <= 1 ? value : throw new ArgumentOutOfRangeException(nameof(UnreadableWarningShare), value, "UnreadableWarningShare is a share of the answers, from 0 to 1 (0.1 warns past one answer in ten).");
    } = DefaultUnreadableWarningShare;

    /// <summary>Overrides of task and LLM settings, applied and validated before the run starts.</summary>
    public RuntimeParameters? Parameters { get; init; }

    /// <summary>When cancelled, loaders read no more rows; rows in flight finish and are committed; writers keep their old files.</summary>
    public CancellationToken GracefulStop { get; init; }

    /// <summary>
    /// For tasks whose LLM sends offline batches: wait until every batch is done, polling with
    /// backoff (default false: submit or check the batches, then stop the run, saying what is
    /// pending; a later run collects them).
    /// </summary>
    public bool WaitForBatches { get; init; }

    /// <summary>
    /// Keeps the rows an earlier run stored with LLM calls that failed for good (their outputs null,
    /// the reason in <c>error_&lt;task&gt;</c>) as they are. By default (false) a run on the same run
    /// directory asks those rows again, and the steps after the task compute what is made from them
    /// again; rows whose calls were answered, readable or not, are never asked again.
    /// </summary>
    public bool KeepFailedRows { get; init; }

    /// <summary>
    /// How progress is shown (default <see cref="ProgressMode.Auto"/>: the <see cref="ProgressDisplay"/>
    /// when there is one and it can show here, log lines otherwise).
    /// </summary>
    public ProgressMode Progress { get; init; } = ProgressMode.Auto;

    /// <summary>
    /// A live display of progress, for <see cref="ProgressMode.Auto"/> and <see cref="ProgressMode.Live"/>
    /// (default none: log lines). The Distil.Console package has the live table:
    /// <c>ProgressDisplay = ConsoleProgress.LiveTable()</c>; any <see cref="IPipelineProgress"/> will do.
    /// </summary>
    public IPipelineProgress? ProgressDisplay { get; init; }

    /// <summary>
    /// When progress is logged rather than shown live: the shortest gap between two lines of a step
    /// (default 30 s). Later in a run the gap grows to a tenth of the time the run has taken, up to
    /// 5 minutes; a step logs only when it made progress, and once when it finishes.
    /// </summary>
    public TimeSpan ProgressInterval
    {
        get;
        init => field = value > TimeSpan.Zero ? value : throw new ArgumentOutOfRangeException(nameof(ProgressInterval), value, "ProgressInterval must be above zero.");
    } = TimeSpan.FromSeconds(30);

    /// <summary>The clock the progress log reads (default the system's); a test gives a fake one to play a long run in a moment.</summary>
    public TimeProvider? TimeProvider { get; init; }

    /// <summary>
    /// Runs only this shard of the rows: each source gives the rows whose position hashes to it,
    /// and each write step also writes the rows' keys beside its output (<c>.distil-shard</c>), for
    /// <see cref="ShardMerge"/>. Give each shard its own run directory and outputs
    /// (<see cref="Shard.Suffix"/>); null, the default: every row.
    /// </summary>
    public Shard? Shard { get; init; }

    /// <summary>
    /// A preview: each source gives at most this many rows, and write steps leave their files as
    /// they are (the rows are in the run's datasets). Give the preview a run directory of its own,
    /// so that the full run's directory holds full runs only (null, the default: every row).
    /// </summary>
    public long? SourceRowLimit
    {
        get;
        init => field = value is null or >= 1 ? value : throw new ArgumentOutOfRangeException(nameof(SourceRowLimit), value, "SourceRowLimit must be 1 or more, or null for every row.");
    }
}

/// <summary>How a pipeline run reports progress.</summary>
public enum ProgressMode
{
    /// <summary>
    /// The <see cref="PipelineRunOptions.ProgressDisplay"/> when one is set and can show here (the
    /// live table of Distil.Console on an interactive terminal), else a few log lines per step (see
    /// <see cref="PipelineRunOptions.ProgressInterval"/>).
    /// </summary>
    Auto,

    /// <summary>Log lines only.</summary>
    Log,

    /// <summary>
    /// The <see cref="PipelineRunOptions.ProgressDisplay"/>, even when it does not think it can show
    /// here (a console that does not look interactive); a run without one fails before it starts.
    /// </summary>
    Live,

    /// <summary>Nothing.</summary>
    None,
}

/// <summary>Rows without columns, for a generator task to fill.</summary>
internal sealed class EmptyRowSource(long rows) : IRowSource
{
    public string Describe() => $"{rows} empty rows";

    public async IAsyncEnumerable<System.Text.Json.Nodes.JsonObject> ReadAsync([System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        for (long i = 0; i < rows; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            yield return [];
        }
        await Task.CompletedTask.ConfigureAwait(false);
    }

    public ValueTask<long?> CountAsync(CancellationToken cancellationToken) => ValueTask.FromResult<long?>(rows);

    public ValueTask<RowSchema?> SchemaAsync(CancellationToken cancellationToken) => ValueTask.FromResult<RowSchema?>(RowSchema.Empty);
}

