using Distil.Pipelines;
using Key = Distil.Pipelines.PipelineFileKey;
using Shape = Distil.Pipelines.PipelineFileShape;

namespace Distil.Cli;

/// <summary>
/// Every key a pipeline file may hold, object by object. The strict reader checks each object of a
/// file against these lists (an unknown key is an error naming the closest known one and where it
/// stands), and <c>distil schema</c> writes the same lists as a JSON Schema, so the two cannot drift.
/// The command's own kinds are listed here; the kinds of <see cref="PipelineStepKinds"/> (Distil's
/// format steps, a package's) bring their keys with them.
/// </summary>
internal static class PipelineFileKeys
{
    private static readonly string[] Text = ["string"];
    private static readonly string[] Whole = ["integer"];
    private static readonly string[] Number = ["number"];
    private static readonly string[] Flag = ["boolean"];
    private static readonly string[] List = ["array"];
    private static readonly string[] Object = ["object"];

    private static Shape Free(string what) => new(what, null);

    private static Key Options(string kind, string what, params Key[] keys) => new(kind, Object, what, new Shape($"\"{kind}\"", keys));

    /// <summary>Keys of a task step besides "task" (a "generate" step has them too).</summary>
    private static readonly Key[] TaskSettings =
    [
        new("params", Object, "The task's parameters and LLM options, name: value (as --param name=value).", Free("\"params\"")),
        new("model", Text, "The model of this step, e.g. openai:gpt-4o-mini (default: the file's \"model\", or --model)."),
        new("concurrency", Whole, "Calls in flight at once."),
        new("num_generations", Whole, "Answers per row."),
        new("structured", Flag, "Ask for the task's JSON answer format."),
        new("tools", Object, "Tools the model may call while answering.", new Shape("\"tools\"", [McpServers])),
    ];

    /// <summary>A task step's MCP servers: each a command line, an http(s) URL, or an object naming one and the tools to keep.</summary>
    private static Key McpServers => new("mcp", List,
        "MCP servers whose tools the task may call, started when the run starts: \"COMMAND ARGS\", an http(s) URL, or {\"command\": ..., \"tools\": [...]} / {\"url\": ...}.",
        new Shape("an MCP server", [
            new("command", Text, "The command line that starts the server over stdio (quotes keep a word whole)."),
            new("url", Text, "The http(s) URL of a running server."),
            new("tools", List, "Only these of the server's tools, by name."),
        ]));

    /// <summary>The keys every step has.</summary>
    public static readonly Key[] Common =
    [
        new("name", Text, "The step's name, unique in the file."),
        new("after", ["string", "array"], "The step (or steps) whose rows this step reads."),
    ];

    /// <summary>Each step kind: the key that names it, and the other keys a step of that kind may have (the command's own, then the registered ones).</summary>
    public static IReadOnlyList<(Key Kind, IReadOnlyList<Key> Others)> Kinds =>
        [.. Own, .. PipelineStepKinds.All.Where(k => !IsOwn(k.Name)).Select(k => (k.Key, k.OtherKeys))];

    /// <summary>Whether <paramref name="kind"/> is one of the command's own kinds (not from <see cref="PipelineStepKinds"/>).</summary>
    public static bool IsOwn(string kind) => Own.Any(k => k.Kind.Name == kind);

    // The kinds only the command builds: they read files, make models and validators.
    private static readonly IReadOnlyList<(Key Kind, IReadOnlyList<Key> Others)> Own =
    [
        (new("load", ["string", "object"], "A file of rows to read (JSONL, CSV, Parquet), relative to the pipeline file; or {\"reviewed\": RUN_DIR, ...}: the rows of another run with their review labels.",
            new Shape("\"load\"", [
                new("reviewed", Text, "The run directory whose reviewed rows to read, relative to the pipeline file."),
                new("step", Text, "The step whose rows to read (default: the run's last step)."),
                new("keep", Text, "Which rows: all (the default), reviewed, accepted or not_rejected."),
            ])), []),
        (Options("sample", "Rows drawn at random.",
            [
                new("rows", Whole, "How many rows to make."),
                new("seed", Whole, "The random seed."),
                new("columns", Object, "Each column's distribution, name: spec.", Free("\"columns\"")),
                // Groups of columns a package adds (Distil.Personas: "people").
                .. SampledColumnGroupKinds.All.Select(k => k.Key),
            ]), []),
        (Options("generate", "Rows made by a task that needs no input.",
            new("task", Text, "A built-in task, such as magpie."),
            new("rows", Whole, "How many rows to make (without \"after\")."),
            new("good_rows", Whole, "Instead of \"rows\": generate until this many rows reach the end of the pipeline, past its filters, validators and dedup."),
            new("max_rows", Whole, "With \"good_rows\": the most rows to generate in all (default 5 per good row).")), TaskSettings),
        (new("step", Text, "A step of your own, by its [Step] name, from an assembly given with --assembly (distil tasks --assembly lists them)."),
        [
            new("params", Object, "The step's settings, name: value (its public settable properties, in snake_case).", Free("\"params\"")),
        ]),
        (new("task", Text, "A built-in task, or one of your own from --assembly (distil tasks lists them)."),
        [
            .. TaskSettings,
            new("input_mappings", Object, "Task input: the row column it reads.", Free("\"input_mappings\"")),
            new("output_mappings", Object, "Task output: the row column it writes.", Free("\"output_mappings\"")),
            RowCondition.FileKey("when", "Ask only for the rows that pass: column plus one operator; the others keep null outputs and skipped_<task> in the metadata."),
        ]),
        (Options("embed", "Embeds a text column.",
            new("column", Text, "The text to embed."),
            new("model", Text, "The embedding model: openai:, azure:, endpoint:, local:. Without it: all-MiniLM-L6-v2 in-process (the default generator)."),
            new("output", Text, "The column of the vectors."),
            new("batch_size", Whole, "Texts per call.")), []),
        (new("keep_columns", List, "The columns to keep."), []),
        (new("rename_columns", Object, "Old name: new name.", Free("\"rename_columns\"")), []),
        (new("expand_columns", ["array", "object"], "List columns to expand into one row per item (or list column: item column).", Free("\"expand_columns\"")), []),
        (new("combine_outputs", Flag, "true: joins the rows of the steps in \"after\"."), []),
        (new("group_columns", List, "Columns to gather across the steps in \"after\"."),
            [new("output_columns", List, "The names of the gathered columns.")]),
        (Options("dedup", "Drops near-duplicate rows.",
            new("column", Text, "The text column to compare."),
            new("method", Text, "exact, minhash or embedding."),
            new("threshold", Number, "How alike two rows are to count as duplicates."),
            new("shingle_size", Whole, "Words per shingle (minhash)."),
            new("permutations", Whole, "Hash permutations (minhash)."),
            new("search_breadth", Whole, "Search breadth of the vector index (embedding).")), []),
        (Options("validate", "Checks a column.",
            new("column", Text, "The column to check."),
            new("kind", Text, "csharp, json_schema or regex."),
            new("schema", Object, "The JSON schema (json_schema).", Free("\"schema\"")),
            new("pattern", Text, "The regular expression (regex)."),
            new("keep_valid", Flag, "Drop the rows that fail.")), []),
        (new("write", Text, "A file to write the rows to (its extension says the format; none: a Hugging Face dataset folder)."), []),
    ];

    /// <summary>The keys of the file's top-level object.</summary>
    public static readonly Shape File = new("the pipeline", [
        new("$schema", Text, "The JSON Schema of the file (distil schema), for editors; not read."),
        new("name", Text, "The pipeline's name."),
        new("model", Text, "The model of every task step without its own."),
        new("run_dir", Text, "Where finished rows are kept, relative to the file."),
        new("steps", List, "The steps."),
        new("edges", List, "More edges, as [from, to] pairs of step names."),
    ]);

    /// <summary>The keys a step of <paramref name="kind"/> may have.</summary>
    public static Shape Step(string kind, string step)
    {
        var (key, others) = Kinds.First(k => k.Kind.Name == kind);
        return new Shape($"step '{step}' ({kind})", [.. Common, key, .. others]);
    }

    /// <summary>The names of the step kinds.</summary>
    public static IEnumerable<string> KindNames => Kinds.Select(k => k.Kind.Name);
}
