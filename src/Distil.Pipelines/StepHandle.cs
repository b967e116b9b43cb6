using System.Text.Json.Nodes;
using Microsoft.Extensions.AI;

namespace Distil.Pipelines;

/// <summary>
/// A step of a pipeline under construction: continue from it with <c>Then…</c> (several times
/// for branches), end a branch with <see cref="Write(IRowSink, string?)"/>.
/// </summary>
public sealed class StepHandle
{
    internal StepHandle(Pipeline pipeline, PipelineStep step)
    {
        Pipeline = pipeline;
        Step = step;
    }

    /// <summary>The pipeline the step belongs to.</summary>
    public Pipeline Pipeline { get; }

    /// <summary>The step's name (unique in the pipeline).</summary>
    public string Name => Step.Name;

    internal PipelineStep Step { get; }

    /// <summary>Runs an LLM task on every row; the step is named after the task (<see cref="LlmTask.Name"/>).</summary>
    public StepHandle Then(LlmTask task)
    {
        ArgumentNullException.ThrowIfNull(task);
        return Pipeline.Add(new TaskNode(task), Step);
    }

    /// <summary>
    /// Runs <paramref name="task"/> on every row, reading and writing some columns under other
    /// names: with <c>new ColumnMappings { Inputs = new Dictionary&lt;string, string&gt; { ["instruction"] = "question" } }</c>
    /// a built-in task reads <c>question</c> as its <c>instruction</c> without a rename step.
    /// </summary>
    /// <exception cref="ArgumentException">A mapping names an input or output the task does not have (with the closest one).</exception>
    public StepHandle Then(LlmTask task, ColumnMappings mappings)
    {
        ArgumentNullException.ThrowIfNull(task);
        ArgumentNullException.ThrowIfNull(mappings);
        mappings.Check(task);
        return Pipeline.Add(new TaskNode(task, mappings), Step);
    }

    /// <summary>
    /// Runs <paramref name="task"/> only on the rows that pass <paramref name="when"/>: the other rows
    /// are not asked; they go on with the task's outputs null and, in the metadata column,
    /// <c>skipped_&lt;task&gt;</c>: "the row did not pass the step's condition: …". Skipped rows are
    /// not failed rows (a rerun does not ask them) and not unreadable answers (no alarm); the run
    /// counts them (<see cref="TaskStatistics.SkippedRows"/>). The condition is part of the step's
    /// signature: change it and the step runs again, with the answers of rows asked before taken
    /// from the run directory, not paid for twice.
    /// <code>
    /// questions.Then(translate, RowCondition.Equal("language", "fr"));
    /// </code>
    /// </summary>
    /// <param name="task">The task.</param>
    /// <param name="when">Which rows to ask for.</param>
    /// <param name="mappings">Columns the task reads and writes under other names (see <see cref="Then(LlmTask, ColumnMappings)"/>).</param>
    public StepHandle Then(LlmTask task, RowCondition when, ColumnMappings? mappings = null)
    {
        ArgumentNullException.ThrowIfNull(task);
        ArgumentNullException.ThrowIfNull(when);
        mappings?.Check(task);
        return Pipeline.Add(new TaskNode(task, mappings, when), Step);
    }

    /// <summary>
    /// Runs <paramref name="task"/> only on the rows <paramref name="when"/> accepts (see
    /// <see cref="Then(LlmTask, RowCondition, ColumnMappings?)"/>); <paramref name="reads"/> lists the
    /// columns it reads, for validation: <c>step.Then(grade, when: row => (string?)row["language"] == "en", reads: ["language"])</c>.
    /// </summary>
    public StepHandle Then(LlmTask task, Func<JsonObject, bool> when, IReadOnlyList<string>? reads = null) =>
        Then(task, RowCondition.Where(when, reads));

    /// <summary>
    /// Adds <paramref name="step"/> after this step and returns it, to continue from: how a step
    /// kind's fluent extension method adds its step (<c>handle.Then(new ShoutStep(name, column))</c>).
    /// </summary>
    /// <exception cref="ArgumentException">The pipeline has a step of that name already, or <paramref name="step"/> is in a pipeline already.</exception>
    public StepHandle Then(PipelineStep step)
    {
        ArgumentNullException.ThrowIfNull(step);
        return Pipeline.AddNamed(step, Step, nameof(step));
    }

    /// <summary>Keeps only <paramref name="columns"/>, in that order.</summary>
    public StepHandle KeepColumns(params string[] columns) => KeepColumns((IReadOnlyList<string>)columns);

    /// <summary>Keeps only <paramref name="columns"/>, in that order, as a step named <paramref name="name"/>.</summary>
    public StepHandle KeepColumns(IReadOnlyList<string> columns, string? name = null)
    {
        RequireColumns(columns, nameof(columns));
        return Pipeline.Add(new KeepColumnsNode(name ?? Pipeline.AutoName("keep_columns"), columns), Step);
    }

    /// <summary>Renames columns (old name → new name).</summary>
    public StepHandle RenameColumns(IReadOnlyDictionary<string, string> renames, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(renames);
        RequireColumns(renames.Keys.Concat(renames.Values).ToList(), nameof(renames));
        return Pipeline.Add(new RenameColumnsNode(name ?? Pipeline.AutoName("rename_columns"), renames), Step);
    }

    /// <summary>One row per item of the list <paramref name="columns"/> (expanded together; same lengths), keeping their names.</summary>
    public StepHandle ExpandColumns(params string[] columns) => ExpandColumns(columns.ToDictionary(c => c, c => c));

    /// <summary>One row per item of the list columns, each renamed (list column → item column).</summary>
    public StepHandle ExpandColumns(IReadOnlyDictionary<string, string> columns, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(columns);
        RequireColumns(columns.Keys.Concat(columns.Values).ToList(), nameof(columns));
        return Pipeline.Add(new ExpandColumnsNode(name ?? Pipeline.AutoName("expand_columns"), columns), Step);
    }

    /// <summary>
    /// Drops rows whose <paramref name="column"/> repeats an earlier row's: exactly (normalised text)
    /// or nearly (MinHash over word shingles), or in meaning (cosine similarity of an embedding column,
    /// <see cref="DedupMethod.Embedding"/>), at <see cref="DedupOptions.Threshold"/>. The first
    /// occurrence is kept; dropped rows are listed with the row they repeat in
    /// <c>duplicates-&lt;step&gt;.jsonl</c> in the run directory.
    /// </summary>
    public StepHandle Deduplicate(string column, DedupOptions? options = null, string? name = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(column);
        options ??= new DedupOptions();
        options.Validate();
        return Pipeline.Add(new DedupNode(name ?? Pipeline.AutoName("dedup"), column, options), Step);
    }

    /// <summary>
    /// Checks <paramref name="column"/> with <paramref name="validator"/> and adds
    /// <c>&lt;column&gt;_valid</c> and <c>&lt;column&gt;_errors</c> (the reasons); with
    /// <paramref name="keepValidOnly"/>, drops the rows that fail instead.
    /// </summary>
    public StepHandle Validate(string column, IRowValidator validator, bool keepValidOnly = false, string? name = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(column);
        ArgumentNullException.ThrowIfNull(validator);
        return Pipeline.Add(new ValidateNode(name ?? Pipeline.AutoName("validate"), column, validator, keepValidOnly), Step);
    }

    /// <summary>
    /// Like <see cref="Then(LlmTask)"/>, but every row is a draw of its own, as in
    /// <see cref="Pipeline.Generate(LlmTask, long, string?)"/>: rows are seeds (a topic, a persona),
    /// and rows with the same values get different answers (their own seed and response-cache key).
    /// </summary>
    public StepHandle Generate(LlmTask task)
    {
        ArgumentNullException.ThrowIfNull(task);
        task.DistinctRowDraws = true;
        return Then(task);
    }

    /// <summary>
    /// Adds <paramref name="output"/> (default <c>&lt;column&gt;_embedding</c>, a list of numbers): the
    /// embedding of <paramref name="column"/> from <paramref name="generator"/> (OpenAI, Azure, any
    /// <c>/v1/embeddings</c> server, a local GGUF model), in batches, retried on transient faults and
    /// kept in the run store: a resumed run asks only for rows it has no vector for.
    /// </summary>
    public StepHandle Embed(string column, IEmbeddingGenerator<string, Embedding<float>> generator, string? output = null, EmbedOptions? options = null, string? name = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(column);
        ArgumentNullException.ThrowIfNull(generator);
        options ??= new EmbedOptions();
        options.Validate();
        return Pipeline.Add(new EmbedNode(name ?? Pipeline.AutoName("embed"), column, generator, output ?? column + "_embedding", options), Step);
    }

    /// <summary>
    /// Adds <paramref name="output"/> (default <c>&lt;column&gt;_embedding</c>): the embedding of
    /// <paramref name="column"/> from the default generator (<see cref="EmbeddingGenerators.Default"/>:
    /// all-MiniLM-L6-v2, 384 numbers, when the <c>Distil.MiniLM</c> package is referenced), as
    /// <see cref="Embed(string, IEmbeddingGenerator{string, Embedding{float}}, string?, EmbedOptions?, string?)"/> does.
    /// <code>
    /// pipeline.Load(rows).Embed("instruction").Deduplicate("instruction_embedding", new DedupOptions { Method = DedupMethod.Embedding, Threshold = 0.8, VectorIndex = HnswVectorIndex.Factory() });
    /// </code>
    /// </summary>
    /// <exception cref="InvalidOperationException">No default generator is registered; the message names the package to add.</exception>
    public StepHandle Embed(string column, string? output = null, EmbedOptions? options = null, string? name = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(column);
        return Embed(column, EmbeddingGenerators.Default, output, options, name);
    }

    /// <summary>Keeps the rows <paramref name="keep"/> accepts; <paramref name="reads"/> lists the columns it needs, for validation.</summary>
    public StepHandle Filter(Func<JsonObject, bool> keep, IReadOnlyList<string>? reads = null, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(keep);
        return Pipeline.Add(new FilterNode(name ?? Pipeline.AutoName("filter"), keep, reads ?? []), Step);
    }

    /// <summary>
    /// Changes every row with <paramref name="map"/> (it may change the row and return it).
    /// <paramref name="reads"/> and <paramref name="writes"/> list the columns it needs and adds, for validation.
    /// The function must be deterministic: a resumed run may run it again.
    /// </summary>
    public StepHandle Map(Func<JsonObject, JsonObject> map, IReadOnlyList<string>? reads = null, IReadOnlyList<string>? writes = null, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(map);
        return Pipeline.Add(new MapNode(name ?? Pipeline.AutoName("map"), map, reads ?? [], writes ?? []), Step);
    }

    /// <summary>
    /// Keeps the rows whose <typeparamref name="T"/> <paramref name="keep"/> accepts. Each row is read
    /// as a <typeparamref name="T"/> (its columns by the columns rule, by generated code); kept rows go
    /// on unchanged, with all their columns. The build checks that earlier steps write
    /// <typeparamref name="T"/>'s columns (DISTIL016, DISTIL017).
    /// </summary>
    /// <example><code>pipeline.Load&lt;Ticket&gt;(source).Filter&lt;Ticket&gt;(t =&gt; t.Priority &gt; 2)</code></example>
    /// <exception cref="PipelineException">At run time, a row lacks a column of <typeparamref name="T"/> or holds a value of another type; the message names the step, the row and the column.</exception>
    public StepHandle Filter<T>(Func<T, bool> keep, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(keep);
        return Pipeline.Add(new TypedFilterNode<T>(name ?? Pipeline.AutoName("filter"), keep), Step);
    }

    /// <summary>
    /// Reads each row as a <typeparamref name="TIn"/>, and writes the <typeparamref name="TOut"/>
    /// <paramref name="map"/> returns onto the row: <typeparamref name="TOut"/>'s columns are added
    /// (or replaced, when the row has them), and the row's other columns stay. Rows are mapped by
    /// generated code; the build checks that earlier steps write <typeparamref name="TIn"/>'s columns
    /// and knows <typeparamref name="TOut"/>'s after this step. The function must be deterministic:
    /// a resumed run may run it again.
    /// </summary>
    /// <example><code>.Map&lt;Ticket, Cleaned&gt;(t =&gt; new Cleaned(t.Text.Trim(), t.Text.Length))</code></example>
    /// <exception cref="PipelineException">At run time, a row does not fit <typeparamref name="TIn"/>, or <paramref name="map"/> returns null; the message names the step and the row.</exception>
    public StepHandle Map<TIn, TOut>(Func<TIn, TOut> map, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(map);
        return Pipeline.Add(new TypedMapNode<TIn, TOut>(name ?? Pipeline.AutoName("map"), map), Step);
    }

    /// <summary>
    /// Runs <paramref name="function"/> once over all rows, after the last has arrived (a
    /// deduplication, a sort, a sample). Its output rows get new keys: joins after it match by position.
    /// </summary>
    public StepHandle Global(Func<IReadOnlyList<JsonObject>, IEnumerable<JsonObject>> function,
        IReadOnlyList<string>? reads = null, IReadOnlyList<string>? writes = null, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(function);
        return Pipeline.Add(new GlobalNode(name ?? Pipeline.AutoName("global"), function, reads ?? [], writes ?? []), Step);
    }

    /// <summary>Writes the rows to <paramref name="sink"/> when the run went through every row; ends the branch.</summary>
    public StepHandle Write(IRowSink sink, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(sink);
        return Pipeline.Add(new WriteNode(name ?? Pipeline.AutoName("write"), sink), Step);
    }

    /// <summary>Writes the rows to a file, its format from the extension (<c>.jsonl</c>, <c>.parquet</c>).</summary>
    public StepHandle Write(string path) => Write(RowSinks.File(path));

    /// <summary>Runs the whole pipeline this step belongs to (see <see cref="Pipelines.Pipeline.RunAsync(PipelineRunOptions?, CancellationToken)"/>).</summary>
    public Task<PipelineResult> RunAsync(PipelineRunOptions? options = null, CancellationToken cancellationToken = default) =>
        Pipeline.RunAsync(options, cancellationToken);

    private static void RequireColumns(IReadOnlyCollection<string> columns, string parameter)
    {
        ArgumentNullException.ThrowIfNull(columns, parameter);
        if (columns.Count == 0) throw new ArgumentException("Name at least one column.", parameter);
        if (columns.Any(string.IsNullOrWhiteSpace)) throw new ArgumentException("Column names must not be empty.", parameter);
    }
}
