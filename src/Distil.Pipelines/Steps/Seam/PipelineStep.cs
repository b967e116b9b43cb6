using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;

namespace Distil.Pipelines;

/// <summary>
/// One step of a pipeline's graph: its name, what columns it needs and makes, and what identifies
/// its settings. Its edges and how it runs over its input channels are Distil's own: a step of a
/// package derives from <see cref="RowStep"/> or <see cref="AllRowsStep"/>, which run it, and is
/// added with <see cref="StepHandle.Then(PipelineStep)"/> from a fluent extension method of its own.
/// </summary>
public abstract class PipelineStep
{
    /// <summary>Makes a step named <paramref name="name"/> (unique in its pipeline).</summary>
    /// <exception cref="ArgumentException"><paramref name="name"/> is empty.</exception>
    protected PipelineStep(string name)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        _name = name;
        HasOwnName = true;
    }

    // A typed step ([Step] class) made with `new`: named by its kind until it is given a name, and
    // made unique (normalize, normalize_2...) when it is added to a pipeline.
    private protected PipelineStep()
    {
    }

    private string? _name;

    /// <summary>
    /// The step's name, unique in its pipeline: its rows are kept in the run store under it. A typed
    /// step (a <see cref="StepAttribute"/> class) is named after its kind unless given one here,
    /// before it is added to a pipeline.
    /// </summary>
    /// <exception cref="ArgumentException">The name is empty.</exception>
    /// <exception cref="InvalidOperationException">The step is in a pipeline already.</exception>
    public string Name
    {
        get => _name ?? Kind;
        set
        {
            ArgumentException.ThrowIfNullOrWhiteSpace(value);
            if (Parents.Count > 0 || Children.Count > 0 || InPipeline)
                throw new InvalidOperationException($"Step '{Name}' is in a pipeline already; name a step before adding it.");
            _name = value;
            HasOwnName = true;
        }
    }

    /// <summary>Whether the step was given its name (false: a typed step still named after its kind).</summary>
    internal bool HasOwnName { get; private set; }

    /// <summary>Set once the step is added to a pipeline: its name no longer changes.</summary>
    internal bool InPipeline { get; set; }

    /// <summary>Names a typed step that was not given a name, as the pipeline adding it decides.</summary>
    internal void TakeName(string name)
    {
        _name = name;
        HasOwnName = true;
    }

    internal List<PipelineStep> Parents { get; } = [];

    internal List<PipelineStep> Children { get; } = [];

    /// <summary>What the step is, in messages and the progress display (<c>task</c>, <c>keep_columns</c>…).</summary>
    public abstract string Kind { get; }

    /// <summary>Whether the step's outputs are committed to the run store (loaders and writers are not: their files are).</summary>
    internal virtual bool IsStored => true;

    /// <summary>The columns every input row must have.</summary>
    public virtual IReadOnlyList<string> RequiredColumns => [];

    /// <summary>How many parents the step takes: 0 for loaders, 1 for most, 2 or more for joins.</summary>
    public virtual (int Min, int Max) ParentCount => (1, 1);

    /// <summary>
    /// The columns after this step, with their types, from those of its parents (null where unknown:
    /// an empty source). Known before any row is processed.
    /// </summary>
    /// <exception cref="PipelineException">The parents' columns cannot be combined (one column with two types).</exception>
    public abstract RowSchema? SchemaAfter(IReadOnlyList<RowSchema?> parents);

    /// <summary>
    /// The step's own settings as text; with its parents' signatures it makes the step's signature,
    /// which says whether a resumed run may reuse the rows it kept. Put every setting that changes
    /// the rows in it (column names, options), so that a changed setting makes the step run again.
    /// The text is kept in the run store, so that a later run can say what changed: put no secret
    /// in it (URLs are kept without user, password or query, and <c>name=value</c> lines whose name
    /// says it is a secret, such as <c>api_key</c>, as a hash; anything else as it is). One
    /// <c>name=value</c> line per setting lets the run name the setting that changed.
    /// </summary>
    public abstract string Settings();

    /// <summary>
    /// How this step's row count relates to its first input's, for the estimate before a run. The
    /// default is unknown ("known once it has run"); a step that keeps, drops or multiplies rows by
    /// a rule says so (<see cref="RowCountRule.Same"/>, <see cref="RowCountRule.AtMost"/>,
    /// <see cref="RowCountRule.Times"/>). Called only when the input's count is known.
    /// </summary>
    protected internal virtual RowCountRule CountRows(RowCountContext input) =>
        RowCountRule.Unknown($"step '{Name}' ({Kind})'s row count is known once it has run");

    /// <summary>Runs the step until its inputs end, then returns; the runner completes its outputs.</summary>
    internal abstract Task RunAsync(StepRun run);

    /// <summary>Rows made from one input row, keyed: one row keeps the input's key, several get child keys.</summary>
    internal static IReadOnlyList<KeyedRow> Keyed(RowKey key, IReadOnlyList<JsonObject> rows) =>
        rows.Count == 1 ? [new KeyedRow(key, rows[0])] : rows.Select((row, i) => new KeyedRow(key.Child(i), row)).ToList();

    /// <summary>
    /// What a delegate's code does, for a step's signature: its body, the bodies of the methods of
    /// its own assembly it calls, and the names of what it calls elsewhere, never metadata tokens
    /// or the compiler's numbered names, so that unrelated code does not change it. Captured values
    /// are not part of it. See <see cref="CodeSignature"/>.
    /// </summary>
    internal static string CodeOf(Delegate function) => CodeSignature.Of(function);

    internal static string Hash(string text) => Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(text)));
}
