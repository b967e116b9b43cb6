using System.Text.Json.Nodes;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Distil;

/// <summary>
/// What every LLM task shares, whatever its input and output records: its name, its LLM and the
/// settings of a run. Declare tasks by deriving from <see cref="LlmTask{TInput,TOutput}"/>; this
/// non-generic base lets pipelines hold tasks of different types.
/// </summary>
/// <remarks>
/// Neither base is called <c>Task</c>: with implicit usings that name would clash with
/// <see cref="System.Threading.Tasks.Task"/> in every file of a user's project.
/// </remarks>
public abstract partial class LlmTask
{
    /// <summary>The column that holds the metadata of every output row, as in distilabel.</summary>
    public const string DefaultMetadataColumn = "distilabel_metadata";

    private string? _name;
    private int _numGenerations = 1;
    private int _maxConcurrency = 1;
    private int _reasks;
    private string _metadataColumn = DefaultMetadataColumn;

    /// <summary>
    /// The name of the task, used in the metadata keys <c>raw_output_&lt;name&gt;</c>,
    /// <c>raw_input_&lt;name&gt;</c> and <c>statistics_&lt;name&gt;</c>. Defaults to the name
    /// given in <see cref="TaskAttribute"/>; set it to tell two instances of one task apart.
    /// </summary>
    public string Name
    {
        get => _name ?? DefaultName;
        set => _name = string.IsNullOrWhiteSpace(value)
            ? throw new ArgumentException("A task name must not be empty.", nameof(value))
            : value;
    }

    /// <summary>The name declared with <see cref="TaskAttribute"/>.</summary>
    protected abstract string DefaultName { get; }

    /// <summary>The LLM that answers the prompts. Required before rows are processed.</summary>
    public IChatClient? Llm { get; set; }

    /// <summary>
    /// Options sent with every request (temperature, top-p, max tokens, seed, stop sequences…).
    /// The task adds the response format when <see cref="UseDefaultStructuredOutput"/> is set.
    /// </summary>
    public ChatOptions? GenerationOptions { get; set; }

    /// <summary>How many answers to ask for per input row (default 1). Each is its own request.</summary>
    public int NumGenerations
    {
        get => _numGenerations;
        set => _numGenerations = value >= 1
            ? value
            : throw new ArgumentOutOfRangeException(nameof(value), value, "NumGenerations must be 1 or more.");
    }

    /// <summary>
    /// False (default): one output row per generation. True: one output row per input row, whose
    /// output columns and metadata are lists with one item per generation.
    /// </summary>
    public bool GroupGenerations { get; set; }

    /// <summary>Keep the answer text in the metadata under <c>raw_output_&lt;name&gt;</c> (default true).</summary>
    public bool AddRawOutput { get; set; } = true;

    /// <summary>Keep the formatted chat in the metadata under <c>raw_input_&lt;name&gt;</c> (default true).</summary>
    public bool AddRawInput { get; set; } = true;

    /// <summary>
    /// Ask the LLM for JSON that follows <see cref="StructuredOutputSchema"/> (default false):
    /// remote providers get the schema as a strict <c>json_schema</c> response format, local
    /// models decode under <see cref="StructuredOutputGrammar"/>.
    /// </summary>
    public bool UseDefaultStructuredOutput { get; set; }

    /// <summary>The column that receives the metadata (default <c>distilabel_metadata</c>).</summary>
    public string MetadataColumn
    {
        get => _metadataColumn;
        set => _metadataColumn = string.IsNullOrWhiteSpace(value)
            ? throw new ArgumentException("The metadata column name must not be empty.", nameof(value))
            : value;
    }

    /// <summary>
    /// How many requests may wait on the LLM at once (default 1). Rows run ahead of a slow one,
    /// but output rows always come back in input order. Raise this for services that answer
    /// requests in parallel.
    /// </summary>
    public int MaxConcurrency
    {
        get => _maxConcurrency;
        set => _maxConcurrency = value >= 1
            ? value
            : throw new ArgumentOutOfRangeException(nameof(value), value, "MaxConcurrency must be 1 or more.");
    }

    /// <summary>
    /// True for a task whose generation needs several calls, each built from the answer before it
    /// (evolution rounds, conversation turns, tool calls). Such a task cannot send all its requests at once,
    /// as an offline batch does. Default: true when the task has <see cref="Tools"/>.
    /// </summary>
    public virtual bool MakesDependentCalls => HasTools;

    /// <summary>
    /// How many times an answer that cannot be read, or breaks a rule, is asked again (default 0):
    /// the conversation is sent back with the model's answer and a short turn saying what was wrong,
    /// and the first answer that fits is kept. Each re-ask is a call, paid in tokens like the first;
    /// the metadata keeps every answer (<c>raw_outputs_&lt;task&gt;</c>) and the count
    /// (<c>reasks_&lt;task&gt;</c>), and the statistics add up all attempts. Online each re-ask goes
    /// out as soon as its answer is read; with offline batches the rows that need one go out
    /// together in a further batch, up to <c>Reasks</c> further batches. Not for tasks whose
    /// generation makes dependent calls.
    /// </summary>
    public int Reasks
    {
        get => _reasks;
        set => _reasks = value >= 0
            ? value
            : throw new ArgumentOutOfRangeException(nameof(value), value, "Reasks must be 0 or more.");
    }

    /// <summary>Receives the warnings of a run: unparseable answers and failed LLM calls.</summary>
    public ILogger Logger { get; set; } = NullLogger.Instance;

    /// <summary>The settings every task has (the first of <see cref="Settings"/>); the generator adds each task's own.</summary>
    public static IReadOnlyList<TaskSetting> SharedSettings { get; } =
    [
        TaskSetting.Create<LlmTask, int>("num_generations", nameof(NumGenerations), "int", "How many answers to ask for per input row.", true,
            static t => t.NumGenerations, static (t, v) => t.NumGenerations = v, SettingValues.Int32),
        TaskSetting.Create<LlmTask, bool>("group_generations", nameof(GroupGenerations), "bool", "One output row per input row, with lists of the generations.", true,
            static t => t.GroupGenerations, static (t, v) => t.GroupGenerations = v, SettingValues.Boolean),
        TaskSetting.Create<LlmTask, bool>("add_raw_output", nameof(AddRawOutput), "bool", "Keep the answer text in the metadata.", true,
            static t => t.AddRawOutput, static (t, v) => t.AddRawOutput = v, SettingValues.Boolean),
        TaskSetting.Create<LlmTask, bool>("add_raw_input", nameof(AddRawInput), "bool", "Keep the formatted chat in the metadata.", true,
            static t => t.AddRawInput, static (t, v) => t.AddRawInput = v, SettingValues.Boolean),
        TaskSetting.Create<LlmTask, bool>("use_default_structured_output", nameof(UseDefaultStructuredOutput), "bool", "Ask for JSON of the output record's schema.", true,
            static t => t.UseDefaultStructuredOutput, static (t, v) => t.UseDefaultStructuredOutput = v, SettingValues.Boolean),
        TaskSetting.Create<LlmTask, string>("metadata_column", nameof(MetadataColumn), "string", "The column that receives the metadata.", true,
            static t => t.MetadataColumn, static (t, v) => t.MetadataColumn = v, SettingValues.String),
        TaskSetting.Create<LlmTask, int>("reasks", nameof(Reasks), "int", "How many times an answer that does not fit is asked again.", true,
            static t => t.Reasks, static (t, v) => t.Reasks = v, SettingValues.Int32),
        TaskSetting.Create<LlmTask, int>("max_concurrency", nameof(MaxConcurrency), "int", "How many requests may wait on the LLM at once.", false,
            static t => t.MaxConcurrency, static (t, v) => t.MaxConcurrency = v, SettingValues.Int32),
    ];

    /// <summary>
    /// The task's settings by name, without reflection: those every task has
    /// (<c>num_generations</c>, <c>group_generations</c>, <c>add_raw_output</c>, <c>add_raw_input</c>,
    /// <c>use_default_structured_output</c>, <c>metadata_column</c>, <c>max_concurrency</c>), then the
    /// task's own public settable properties and <c>[TemplateParameter]</c>s, listed by the generator.
    /// Runtime parameters, <c>distil tasks</c> and a pipeline's signature read them.
    /// </summary>
    public virtual IReadOnlyList<TaskSetting> Settings => SharedSettings;

    /// <summary>
    /// A hash of the task's source (its declarations, without whitespace and comments) and of its
    /// prompt templates, computed at build time by the generator: part of what identifies a
    /// pipeline step's results, so that a changed prompt or parser recomputes them.
    /// </summary>
    protected virtual string? SourceHash => null;

    internal string? SourceHashForSignature => SourceHash;

    /// <summary>The columns this task reads from each row.</summary>
    public abstract IReadOnlyList<string> Inputs { get; }

    /// <summary>
    /// The columns of <see cref="Inputs"/> every row must have; the others are optional (a
    /// constructor parameter with a default value). Pipelines check these before any call.
    /// </summary>
    public virtual IReadOnlyList<string> RequiredInputs => Inputs;

    /// <summary>The columns this task adds to each row, besides <c>model_name</c> and the metadata column.</summary>
    public abstract IReadOnlyList<string> Outputs { get; }

    /// <summary>The types of the columns this task reads, generated from its input record.</summary>
    public abstract RowSchema InputSchema { get; }

    /// <summary>
    /// The types of the columns this task adds, generated from its output record (every one may be
    /// null: an answer that cannot be read gives nulls). See <see cref="SchemaAfter"/> for the whole
    /// row, <c>model_name</c> and metadata included.
    /// </summary>
    public abstract RowSchema OutputSchema { get; }

    /// <summary>
    /// The columns of the rows this task writes for input rows of <paramref name="input"/>: the
    /// input's columns, the output columns (lists over generations when
    /// <see cref="GroupGenerations"/> is set), <c>model_name</c>, and the metadata column as a struct
    /// of <c>raw_output_&lt;name&gt;</c> (string), <c>raw_input_&lt;name&gt;</c> (list of
    /// <c>{role, content}</c>), <c>statistics_&lt;name&gt;</c> (<c>{input_tokens, output_tokens}</c>,
    /// 64-bit integers) and <c>error_&lt;name&gt;</c> (string), beside the fields an earlier task put
    /// there (a list of such structs when grouped).
    /// </summary>
    public RowSchema SchemaAfter(RowSchema input)
    {
        ArgumentNullException.ThrowIfNull(input);
        // A grouped column is a list of generations: its rules (which speak of one value) stay with the task's OutputSchema.
        var outputs = OutputSchema.Select(c => GroupGenerations ? c with { Type = ColumnType.ListOf(c.Type), Nullable = true, Rules = null } : c with { Nullable = true });
        // Rule: this task's metadata keys go beside those of earlier tasks (an object; a list from a grouped task is replaced).
        var upstream = input.Find(MetadataColumn) is { Type.Kind: ColumnKind.Struct } earlier ? new RowSchema(earlier.Type.Fields) : RowSchema.Empty;
        var keys = new TaskMetadata(Name, AddRawOutput, AddRawInput, Reasks > 0);
        var metadata = ColumnType.StructOf(upstream.With(keys.Schema));
        // Rule: a task with tools adds its typed trajectory column after its outputs.
        var trajectory = HasTools ? new[] { new Column(TrajectoryColumn, GroupGenerations ? ColumnType.ListOf(TrajectoryType) : TrajectoryType) } : [];
        return input.With([
            .. outputs,
            .. trajectory,
            new Column(ModelNameColumn, ColumnType.String),
            new Column(MetadataColumn, GroupGenerations ? ColumnType.ListOf(metadata) : metadata),
        ]);
    }

    /// <summary>The column every output row carries with the name of the model that answered.</summary>
    internal const string ModelNameColumn = "model_name";

    /// <summary>The strict JSON schema of the output record, as sent for structured output.</summary>
    public abstract string StructuredOutputSchema { get; }

    /// <summary>
    /// The GBNF grammar of the output record, which local models decode under for structured
    /// output. Integers are bounded by their type, strings and lists by <c>[MaxLength]</c>.
    /// </summary>
    public abstract string StructuredOutputGrammar { get; }

    /// <summary>
    /// The chat the task would send for <paramref name="row"/>: reads and checks the row as a run
    /// does, then renders the prompt.
    /// </summary>
    /// <exception cref="RowValueException">The row lacks a column or holds a value of the wrong shape.</exception>
    public abstract IReadOnlyList<ChatMessage> FormatRow(JsonObject row);

    /// <summary>
    /// The task's output columns for an answer to <paramref name="row"/>, as a run would write them
    /// (every output column, null where the answer cannot be read), without model or metadata columns.
    /// </summary>
    /// <exception cref="RowValueException">The row lacks a column or holds a value of the wrong shape.</exception>
    public abstract JsonObject ParseRow(string? text, JsonObject row);

    /// <summary>
    /// The chat the task would send for <paramref name="row"/>, or with null for a placeholder input
    /// (the prompt's shape, each field a placeholder): what <c>Print</c> of the Distil.Console package
    /// draws, as plain messages.
    /// </summary>
    /// <exception cref="RowValueException">The row lacks a column or holds a value of the wrong shape.</exception>
    public abstract IReadOnlyList<ChatMessage> FormatPrompt(JsonObject? row);

    /// <summary>
    /// Starts a run of the task against <paramref name="llm"/> whose calls go through
    /// <paramref name="calls"/> and are counted on <paramref name="metrics"/> under <paramref name="step"/>.
    /// </summary>
    internal abstract ITaskRun CreateRun(IChatClient llm, CallStrategy calls, RunMetrics metrics, string step);

    /// <summary>
    /// Set by <c>Pipeline.Generate</c>: every row is a fresh draw from one prompt, so each row's
    /// generations get seeds and cache keys of their own (as the generations of one row do).
    /// </summary>
    internal bool DistinctRowDraws { get; set; }

    /// <summary>
    /// The custom id of one call of a generation of a row in an offline batch: <c>row:generation</c>
    /// for the first, <c>row:generation:reaskN</c> for the Nth re-ask.
    /// </summary>
    internal static string BatchCustomId(string prefix, int generation, int call = 0) =>
        call == 0 ? $"{prefix}:{generation}" : $"{prefix}:{generation}:reask{call}";

    /// <summary>Throws <see cref="NotSupportedException"/> when the task cannot run against <paramref name="llm"/> (see <c>CheckLlm</c>).</summary>
    internal abstract void CheckClient(IChatClient llm);

    /// <summary>The prompt of a placeholder input as text: part of what identifies the task's results.</summary>
    internal abstract string DescribePrompt();

    /// <summary>The messages sent for the placeholder input (empty when they cannot be rendered): what a dataset card shows.</summary>
    internal abstract IReadOnlyList<ChatMessage> PlaceholderPrompt();

    /// <summary>
    /// Runs the task over <paramref name="rows"/>: renders each prompt, asks the LLM and yields the
    /// rows with the task's output columns, <c>model_name</c> and metadata added.
    /// </summary>
    public abstract IAsyncEnumerable<JsonObject> ProcessAsync(
        IAsyncEnumerable<JsonObject> rows, CancellationToken cancellationToken = default);

    /// <inheritdoc cref="ProcessAsync(IAsyncEnumerable{JsonObject}, CancellationToken)"/>
    public IAsyncEnumerable<JsonObject> ProcessAsync(
        IEnumerable<JsonObject> rows, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(rows);
        return ProcessAsync(AsyncRows.From(rows), cancellationToken);
    }

    /// <summary>
    /// Runs the task over one row with <paramref name="llm"/> (null: the task's own <see cref="Llm"/>)
    /// through the same path as a pipeline's task step, and returns its output rows: one per
    /// generation (<see cref="NumGenerations"/>), or one when generations are grouped. Each holds
    /// the row's columns, the task's outputs, <c>model_name</c> and the <see cref="MetadataColumn"/>
    /// object, whose <c>error_&lt;task&gt;</c> (a call that failed for good),
    /// <c>output_error_&lt;task&gt;</c> (an answer that could not be read),
    /// <c>raw_output_&lt;task&gt;</c> and <c>statistics_&lt;task&gt;</c> say how the row went. A failed
    /// call or an unreadable answer gives null outputs rather than an exception, as in a pipeline.
    /// For packages that run a task inside another tool (an evaluator, a service) one row at a time.
    /// </summary>
    /// <param name="row">The input row; it is not changed.</param>
    /// <param name="llm">The client to ask, instead of the task's own <see cref="Llm"/>.</param>
    /// <param name="cancellationToken">Stops the calls.</param>
    /// <exception cref="InvalidOperationException">No <paramref name="llm"/> is given and the task has no <see cref="Llm"/>.</exception>
    /// <exception cref="NotSupportedException">The task cannot run against the client (see <c>CheckLlm</c>).</exception>
    /// <exception cref="RowValueException">The row lacks a column or holds a value of the wrong shape.</exception>
    public async Task<IReadOnlyList<JsonObject>> ProcessRowAsync(JsonObject row, IChatClient? llm = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(row);
        llm ??= Llm ?? throw new InvalidOperationException($"Task '{Name}' has no LLM. Pass one, or set its Llm property to an IChatClient.");
        CheckClient(llm);
        using var metrics = new RunMetrics();
        var run = CreateRun(llm, new OnlineCalls(llm, MaxConcurrency, metrics, Name), metrics, Name);
        return await run.RunRowAsync(row, "0", 0, cancellationToken).ConfigureAwait(false);
    }
}
