using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using Distil.Mapping;
using Distil.Pipelines;
using Distil.Tasks;

namespace Distil.Cli;

/// <summary>The commands that look at a task without calling a model: tasks, print, format, parse.</summary>
internal static class TaskCommands
{
    /// <summary>JSON as people read it: non-ASCII text as it is.</summary>
    public static readonly JsonSerializerOptions Readable = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, WriteIndented = true };

    /// <summary>One JSON object per line.</summary>
    public static readonly JsonSerializerOptions Compact = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    // A description as the list says it: "Chat messages." is "chat messages" there.
    private static string Lowered(string text) => text.Length > 1 && char.IsUpper(text[0]) && !char.IsUpper(text[1]) ? char.ToLowerInvariant(text[0]) + text[1..] : text;

    // Every step kind the command builds itself, with what it does, for 'distil tasks'.
    private static readonly (string Kind, string Summary)[] PipelineSteps =
    [
        ("load", "rows from a .jsonl, .csv or .parquet file"),
        ("sample", "rows from nothing with seeded columns: category, subcategory, uniform, gaussian, bernoulli, poisson, uuid, datetime"),
        ("generate", "rows from nothing made by a task that needs no input (magpie), each its own draw"),
        ("task", "a built-in task on every row (params, model, input_mappings, output_mappings, structured, num_generations)"),
        ("embed", "an embedding column: all-MiniLM-L6-v2 in-process by default, or a model (openai:, azure:, endpoint:, local:)"),
        ("dedup", "drops exact, near or semantic duplicates (exact, minhash over text; embedding over vectors)"),
        ("validate", "a validity column and its reasons: csharp (compiles), json_schema, regex; keep_valid drops the rest"),
        ("keep_columns", "keeps the listed columns"),
        ("rename_columns", "renames columns"),
        ("expand_columns", "one row per item of a list column"),
        ("combine_outputs", "joins branches row by row"),
        ("group_columns", "joins branches, gathering a column's values into lists"),
        ("write", "a .jsonl, .csv or .parquet file, or a Hugging Face dataset folder"),
    ];

    // Steps that only C# can build (they take .NET objects), listed so that users find them.
    private static readonly (string Method, string Summary)[] CSharpSteps =
    [
        (".Evaluate(evaluator, request, response)", "any Microsoft.Extensions.AI.Evaluation IEvaluator; its metrics become typed columns (package Distil.Evaluation)"),
        (".Validate(column, IRowValidator)", "your own validator beside the built-in ones"),
        (".Map(f, reads:, writes:)", "your own row function with declared columns"),
    ];

    public static int List(CliConsole console, UserCode user)
    {
        ListUserCode(console, user);
        foreach (var name in BuiltInTasks.Names)
        {
            var variants = name == "prometheus_eval"
                ? new[] { BuiltInTasks.Create(name), BuiltInTasks.Create(name, ["mode=relative"]) }
                : [BuiltInTasks.Create(name)];
            console.Out.WriteLine($"{name}: {BuiltInTasks.Summary(name)}");
            foreach (var task in variants)
            {
                var prefix = variants.Length > 1 ? $"  [mode={(task is PrometheusEvalRelative ? "relative" : "absolute")}] " : "  ";
                var optional = task.Inputs.Except(task.RequiredInputs).ToHashSet();
                console.Out.WriteLine($"{prefix}inputs:     {string.Join(", ", task.Inputs.Select(c => optional.Contains(c) ? c + " (optional)" : c))}");
                console.Out.WriteLine($"{prefix}outputs:    {string.Join(", ", task.Outputs)}");
            }
            var own = BuiltInTasks.Parameters(variants[0]);
            var described = own.Select(name => variants[0].Settings.FirstOrDefault(s => s.Name == name) is { } setting ? $"{name} ({setting.TypeName})" : name);
            console.Out.WriteLine($"  parameters: {string.Join(", ", described.DefaultIfEmpty("none of its own (every task's are listed below)"))}");
        }
        console.Out.WriteLine();
        console.Out.WriteLine("Every task also takes num_generations, group_generations, use_default_structured_output, max_concurrency and the LLM options");
        console.Out.WriteLine("temperature, top_p, top_k, max_new_tokens, seed, stop, frequency_penalty, presence_penalty, model (--param name=value).");
        console.Out.WriteLine();
        console.Out.WriteLine("Pipeline steps (distil run --pipeline FILE.json; see docs/pipelines.md):");
        foreach (var (kind, summary) in PipelineSteps) console.Out.WriteLine($"  {kind,-15} {summary}");
        // Kinds of the registry (Distil's format steps, a package's) describe themselves.
        foreach (var kind in PipelineStepKinds.All.Where(k => !PipelineFileKeys.IsOwn(k.Name)))
        {
            console.Out.WriteLine($"  {kind.Name,-15} {Lowered(kind.Key.Description.TrimEnd('.'))}");
        }
        console.Out.WriteLine();
        console.Out.WriteLine("Steps in C# only (they take .NET objects; see docs/pipelines.md):");
        foreach (var (method, summary) in CSharpSteps) console.Out.WriteLine($"  {method,-42} {summary}");
        return ExitCodes.Success;
    }

    // The user's tasks and steps (--assembly) first: those are what the user asked to see.
    private static void ListUserCode(CliConsole console, UserCode user)
    {
        if (user.Tasks.Count == 0 && user.Steps.Count == 0) return;
        if (user.Tasks.Count > 0) console.Out.WriteLine("Your tasks (--assembly; \"task\": \"name\" in a pipeline file):");
        foreach (var (name, type) in user.Tasks.OrderBy(t => t.Key, StringComparer.Ordinal))
        {
            var task = user.CreateTask(name, []);
            var optional = task.Inputs.Except(task.RequiredInputs).ToHashSet();
            console.Out.WriteLine($"{name}: {type.FullName} ({type.Assembly.GetName().Name})");
            console.Out.WriteLine($"  inputs:     {string.Join(", ", task.Inputs.Select(c => optional.Contains(c) ? c + " (optional)" : c))}");
            console.Out.WriteLine($"  outputs:    {string.Join(", ", task.Outputs)}");
            var own = BuiltInTasks.Parameters(task).Select(p => task.Settings.FirstOrDefault(s => s.Name == p) is { } setting ? $"{p} ({setting.TypeName})" : p);
            console.Out.WriteLine($"  parameters: {string.Join(", ", own.DefaultIfEmpty("none of its own (every task's are listed below)"))}");
        }
        if (user.Steps.Count > 0) console.Out.WriteLine("Your steps (--assembly; \"step\": \"name\" in a pipeline file, settings in \"params\"):");
        foreach (var (name, type) in user.Steps.OrderBy(s => s.Key, StringComparer.Ordinal))
        {
            console.Out.WriteLine($"{name}: {type.FullName} ({type.Assembly.GetName().Name})");
            try
            {
                var step = UserCode.NamedStep(type, name);
                console.Out.WriteLine($"  reads:      {string.Join(", ", step.RequiredColumns.DefaultIfEmpty("nothing required"))}");
            }
            catch (ArgumentException error)
            {
                // A step that cannot be made without settings still lists its settings.
                console.Out.WriteLine($"  reads:      unknown ({DistilCommand.OneLine(ErrorText.Of(error))})");
            }
            var settings = UserCode.Settable(type).Select(p => $"{p.Key} ({UserCode.Describe(p.Value.PropertyType)})");
            console.Out.WriteLine($"  params:     {string.Join(", ", settings.DefaultIfEmpty("none"))}");
        }
        console.Out.WriteLine();
    }

    public static int Print(CliConsole console, string name, string[] parameters, string? row)
    {
        var task = DistilCommand.CreateTask("print", name, parameters);
        try
        {
            task.Print(row is null ? null : DistilCommand.ParseRow("print", row), console.Ansi);
        }
        catch (RowValueException error)
        {
            throw new UsageException($"distil print: {ErrorText.Of(error)}");
        }
        return ExitCodes.Success;
    }

    public static int Format(CliConsole console, string name, string[] parameters, string row)
    {
        var task = DistilCommand.CreateTask("format", name, parameters);
        var input = DistilCommand.ParseRow("format", row);
        try
        {
            var messages = new JsonArray(task.FormatRow(input).Select(m => (JsonNode)new JsonObject { ["role"] = m.Role.Value, ["content"] = m.Text }).ToArray());
            console.Out.WriteLine(messages.ToJsonString(Readable));
        }
        catch (RowValueException error)
        {
            throw new UsageException($"distil format: {ErrorText.Of(error)}");
        }
        return ExitCodes.Success;
    }

    public static int Parse(CliConsole console, string name, string[] parameters, string row, bool structured, string text)
    {
        var task = DistilCommand.CreateTask("parse", name, parameters);
        task.UseDefaultStructuredOutput = structured || task.UseDefaultStructuredOutput;
        var input = DistilCommand.ParseRow("parse", row);
        var answer = text == "-" ? console.In.ReadToEnd() : text;
        try
        {
            console.Out.WriteLine(task.ParseRow(answer, input).ToJsonString(Compact));
        }
        catch (RowValueException error)
        {
            throw new UsageException($"distil parse: {ErrorText.Of(error)}");
        }
        return ExitCodes.Success;
    }
}
