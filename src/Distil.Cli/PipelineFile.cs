using System.Text.Json;
using System.Text.Json.Nodes;
using Distil.Pipelines;
using Microsoft.Extensions.AI;

namespace Distil.Cli;

/// <summary>
/// A pipeline described in JSON: steps with a name, one kind key and what runs before them.
/// <code>
/// {
///   "name": "feedback",
///   "model": "openai:gpt-4o-mini",
///   "steps": [
///     { "name": "questions", "load": "questions.jsonl" },
///     { "name": "answer", "task": "text_generation", "after": "questions", "params": { "temperature": 0.7 }, "concurrency": 8 },
///     { "name": "keep", "keep_columns": ["instruction", "generation"], "after": "answer" },
///     { "name": "out", "write": "answers.jsonl", "after": "keep" }
///   ]
/// }
/// </code>
/// Kinds: <c>load</c> (a file), <c>task</c> (a built-in task or one of <see cref="UserCode"/>, with <c>params</c>, <c>model</c>,
/// <c>concurrency</c>, <c>num_generations</c>, <c>when</c>: a condition), <c>keep_columns</c>, <c>rename_columns</c>,
/// <c>expand_columns</c>, <c>combine_outputs</c>, <c>group_columns</c> (with
/// <c>output_columns</c>), <c>step</c> (a step of <see cref="UserCode"/>, its settings in <c>params</c>), <c>write</c> (a file). Edges come from each step's <c>after</c> (a name
/// or a list) and from a top-level <c>edges</c> list of <c>[from, to]</c> pairs. Other kinds
/// (<c>format_sft</c>, <c>format_dpo</c>, <c>regroup</c>, a package's) come from <see cref="PipelineStepKinds"/>
/// and build themselves. Paths are
/// relative to the file. Rule: the file is read strictly: a key the reader does not know
/// (<see cref="PipelineFileKeys"/>), anywhere in the file, is an error naming the closest known
/// key and the line and column where it stands.
/// </summary>
internal static class PipelineFile
{
    // Read each time: a package may register a kind (PipelineStepKinds) before a file is read.
    private static string[] Kinds => [.. PipelineFileKeys.KindNames];

    private sealed record StepSpec(string Name, string Kind, JsonObject Json, List<string> After);

    /// <summary>
    /// Builds the pipeline a file describes. A problem of the file is a <see cref="UsageException"/>
    /// naming <paramref name="command"/> (<c>distil run: ...</c>), the file and the step.
    /// <paramref name="parameters"/> (<c>--param step.name=value</c>) set task parameters and LLM
    /// options of the file's task steps, over the file's own <c>params</c>.
    /// </summary>
    public static Pipeline Load(string path, string? modelOverride, string? runDirectory, Func<string, IChatClient> createClient, Shard? shard = null, string command = "run",
        IReadOnlyList<string>? parameters = null, UserCode? user = null, McpToolServers? toolServers = null)
    {
        try
        {
            return Read(path, modelOverride, runDirectory, createClient, shard, parameters ?? [], user ?? UserCode.None, toolServers);
        }
        catch (PipelineFileException problem)
        {
            throw new UsageException($"distil {command}: {problem.Message}");
        }
    }

    /// <summary>A problem of a pipeline file, said with the file; <see cref="Load"/> adds the command.</summary>
    private sealed class PipelineFileException(string message) : Exception(message);

    private static Pipeline Read(string path, string? modelOverride, string? runDirectory, Func<string, IChatClient> createClient, Shard? shard, IReadOnlyList<string> parameters,
        UserCode user, McpToolServers? toolServers)
    {
        var full = Path.GetFullPath(path);
        if (!File.Exists(full)) throw new PipelineFileException($"the pipeline file '{full}' does not exist.");
        JsonObject root;
        var text = File.ReadAllText(full);
        try
        {
            root = JsonNode.Parse(text) as JsonObject ?? throw Bad(full, "the file must hold a JSON object with \"name\" and \"steps\"");
        }
        catch (JsonException error)
        {
            throw Bad(full, $"not valid JSON at {JsonPositions.Describe(error, text)}");
        }
        CheckKeys(root, full, JsonPositions.Of(text));
        var folder = Path.GetDirectoryName(full)!;
        var name = Text(root, "name", full, "the pipeline");
        var defaultModel = modelOverride ?? (string?)root["model"];
        var steps = ReadSteps(root, full);
        var order = Order(steps, full);
        var overrides = StepParameters(parameters, steps);

        Pipeline pipeline;
        try
        {
            pipeline = Pipeline.Create(name);
        }
        catch (ArgumentException error)
        {
            throw Bad(full, ErrorText.Of(error));
        }
        if (runDirectory is not null) pipeline.RunDirectory = runDirectory;
        else if (root["run_dir"] is JsonValue dir) pipeline.RunDirectory = Path.Combine(folder, dir.GetValue<string>());

        var handles = new Dictionary<string, StepHandle>(StringComparer.Ordinal);
        foreach (var step in order)
        {
            var where = $"step '{step.Name}'";
            var parents = step.After.Select(p => handles[p]).ToArray();
            StepHandle Single() => parents.Length == 1 ? parents[0] : throw Bad(full, $"{where} ({step.Kind}) takes one step before it in \"after\"; it has {parents.Length}");
            if (!PipelineFileKeys.IsOwn(step.Kind) && PipelineStepKinds.Find(step.Kind) is { } registered)
            {
                handles[step.Name] = Registered(registered, step, parents);
                continue;
            }
            handles[step.Name] = step.Kind switch
            {
                "load" when parents.Length > 0 => throw Bad(full, $"{where} loads rows and cannot come after another step"),
                "load" when step.Json["load"] is JsonObject reviewed => pipeline.Load(Reviewed(reviewed, where), step.Name),
                "load" => pipeline.Load(Source(Path.Combine(folder, Text(step.Json, "load", full, where))), step.Name),
                "sample" => parents.Length == 0
                    ? pipeline.Load(Sample(step.Json["sample"] as JsonObject ?? throw Bad(full, $"{where}: \"sample\" must be an object with rows, seed and columns")), step.Name)
                    : throw Bad(full, $"{where} makes rows and cannot come after another step"),
                "generate" => Generate(step, where, parents.Length == 0 ? null : Single()),
                "embed" => Embed(Single(), step, where),
                "task" when step.Json["when"] is not null => ThenWhen(Single(), Task(step, full, defaultModel, createClient, overrides, user, toolServers), Condition(step, where), Mappings(step, where), where),
                "task" => Mappings(step, where) is { } mappings
                    ? ThenMapped(Single(), Task(step, full, defaultModel, createClient, overrides, user, toolServers), mappings, where)
                    : Single().Then(Task(step, full, defaultModel, createClient, overrides, user, toolServers)),
                "step" => UserStep(step, where, parents.Length == 0 ? null : Single()),
                "dedup" => Dedup(Single(), step, where),
                "validate" => Validate(Single(), step, where),
                "keep_columns" => Single().KeepColumns(Strings(step.Json, "keep_columns", full, where), step.Name),
                "rename_columns" => Single().RenameColumns(Map(step.Json, "rename_columns", full, where), step.Name),
                "expand_columns" => step.Json["expand_columns"] is JsonObject
                    ? Single().ExpandColumns(Map(step.Json, "expand_columns", full, where), step.Name)
                    : Single().ExpandColumns(Strings(step.Json, "expand_columns", full, where).ToDictionary(c => c, c => c), step.Name),
                "combine_outputs" => pipeline.CombineOutputs(step.Name, parents),
                "group_columns" => pipeline.GroupColumns(step.Name, Strings(step.Json, "group_columns", full, where),
                    step.Json["output_columns"] is null ? null : Strings(step.Json, "output_columns", full, where), parents),
                _ => Single().Write(Sink(Path.Combine(folder, Text(step.Json, "write", full, where))), step.Name),
            };
        }
        return pipeline;

        // A kind of the registry builds its own step; its problems are said with the file.
        StepHandle Registered(PipelineFileStepKind kind, StepSpec step, StepHandle[] parents)
        {
            try
            {
                return kind.Build(new PipelineFileStepContext(pipeline, step.Name, step.Kind, step.Json, parents, folder));
            }
            catch (PipelineException error)
            {
                throw Bad(full, DistilCommand.OneLine(error.Message));
            }
            catch (ArgumentException error)
            {
                throw Bad(full, $"step '{step.Name}' ({step.Kind}): {DistilCommand.OneLine(error.Message)}");
            }
        }

        // A step of the user's own (--assembly), made by name, its "params" set on its public properties,
        // then --param step.name=value over them.
        // A step of the user's: after one step, or with no "after" when it makes rows (a generator step).
        StepHandle UserStep(StepSpec step, string where, StepHandle? parent)
        {
            var kind = Text(step.Json, "step", full, where);
            var settings = step.Json["params"] switch
            {
                null => [],
                JsonObject values => values.Select(p => KeyValuePair.Create(p.Key, p.Value?.DeepClone())).ToList(),
                _ => throw Bad(full, $"{where}: \"params\" must be an object of name: value"),
            };
            PipelineStep made;
            try
            {
                made = user.CreateStep(kind, step.Name, settings);
            }
            catch (ArgumentException error)
            {
                throw Bad(full, $"{where}: {DistilCommand.OneLine(ErrorText.Of(error))}");
            }
            var given = overrides[step.Name].ToList();
            if (given.Count > 0)
            {
                try
                {
                    made = user.CreateStep(kind, step.Name, [.. settings, .. given.Select(g => KeyValuePair.Create(g.Pair[..g.Pair.IndexOf('=')], ParamValue(g.Pair[(g.Pair.IndexOf('=') + 1)..])))]);
                }
                catch (ArgumentException error)
                {
                    throw new PipelineFileException(ErrorText.Sentence($"--param {string.Join(", ", given.Select(g => $"'{g.Given}'"))}: {DistilCommand.OneLine(ErrorText.Of(error))}"));
                }
            }
            try
            {
                return parent is null ? pipeline.Start(made) : parent.Then(made);
            }
            catch (ArgumentException error)
            {
                throw Bad(full, $"{where}: {DistilCommand.OneLine(ErrorText.Of(error))}");
            }
        }

        ColumnMappings? Mappings(StepSpec step, string where)
        {
            if (step.Json["input_mappings"] is null && step.Json["output_mappings"] is null) return null;
            return new ColumnMappings
            {
                Inputs = step.Json["input_mappings"] is null ? new Dictionary<string, string>() : Map(step.Json, "input_mappings", full, where),
                Outputs = step.Json["output_mappings"] is null ? new Dictionary<string, string>() : Map(step.Json, "output_mappings", full, where),
            };
        }

        StepHandle ThenMapped(StepHandle parent, LlmTask task, ColumnMappings mappings, string where)
        {
            try { return parent.Then(task, mappings); } catch (ArgumentException error) { throw Bad(full, $"{where}: {ErrorText.Of(error)}"); }
        }

        // A task step's "when": the rows it asks for; a bad condition names its operators.
        RowCondition Condition(StepSpec step, string where)
        {
            if (step.Json["when"] is not JsonObject json) throw Bad(full, $"{where}: \"when\" must be an object: {{\"column\": ..., \"equals\": ...}}");
            try { return RowCondition.FromJson(json); } catch (ArgumentException error) { throw Bad(full, $"{where}: \"when\": {ErrorText.Of(error)}"); }
        }

        StepHandle ThenWhen(StepHandle parent, LlmTask task, RowCondition when, ColumnMappings? mappings, string where)
        {
            try { return parent.Then(task, when, mappings); } catch (ArgumentException error) { throw Bad(full, $"{where}: {ErrorText.Of(error)}"); }
        }

        // Rows from nothing ("rows": N), or one draw per row of the step it comes "after" (seeds).
        StepHandle Generate(StepSpec step, string where, StepHandle? seeds)
        {
            var json = step.Json["generate"] as JsonObject ?? throw Bad(full, $"{where}: \"generate\" must be an object with \"task\" and \"rows\" (or \"after\" a step of seed rows)");
            long rows = 0;
            GoodRows? goal = null;
            if (seeds is not null)
            {
                if (json["rows"] is not null) throw Bad(full, $"{where}: \"generate\" after a step makes one row per seed row; drop \"rows\" (or \"after\")");
                if (json["good_rows"] is not null) throw Bad(full, $"{where}: \"good_rows\" makes rows from nothing until enough are good; it cannot follow a step of seed rows (drop \"after\")");
            }
            else if (json["good_rows"] is not null)
            {
                if (json["rows"] is not null) throw Bad(full, $"{where}: \"generate\" takes \"rows\" (exactly that many) or \"good_rows\" (until that many are good), not both");
                goal = GoodRowsOf(json, where);
            }
            else
            {
                if (json["max_rows"] is not null) throw Bad(full, $"{where}: \"max_rows\" bounds \"good_rows\"; give \"good_rows\" too, or drop it");
                rows = json["rows"] is JsonValue count && count.TryGetValue<long>(out var n) && n >= 0 ? n : throw Bad(full, $"{where}: \"generate\" needs \"rows\": how many rows to make, or \"good_rows\": how many must survive the steps after it (or \"after\": a step whose rows are the seeds)");
            }
            // The task's own keys (params, model, concurrency…) sit on the step, as for a task step.
            var asTask = (JsonObject)step.Json.DeepClone();
            asTask["task"] = (string?)json["task"] ?? throw Bad(full, $"{where}: \"generate\" needs \"task\": a built-in task that needs no input, such as magpie");
            var task = Task(step with { Json = asTask }, full, defaultModel, createClient, overrides, user, toolServers);
            try { return seeds is not null ? seeds.Generate(task) : goal is not null ? pipeline.Generate(task, goal) : pipeline.Generate(task, rows); }
            catch (ArgumentException error) { throw Bad(full, $"{where}: {ErrorText.Of(error)}"); }
        }

        // "good_rows": N with an optional "max_rows" bound (default N times GoodRows.DefaultMaxRowsPerGoodRow).
        GoodRows GoodRowsOf(JsonObject json, string where)
        {
            var target = json["good_rows"] is JsonValue t && t.TryGetValue<long>(out var n) && n >= 1 ? n
                : throw Bad(full, $"{where}: \"good_rows\" must be a whole number of 1 or more: how many rows must reach the end of the pipeline");
            if (json["max_rows"] is null) return new GoodRows(target);
            var max = json["max_rows"] is JsonValue m && m.TryGetValue<long>(out var most) && most >= target ? most
                : throw Bad(full, $"{where}: \"max_rows\" must be a whole number of at least \"good_rows\" ({target}): the most rows to generate in all");
            return new GoodRows(target) { MaxRows = max };
        }

        StepHandle Embed(StepHandle parent, StepSpec step, string where)
        {
            var json = step.Json["embed"] as JsonObject ?? throw Bad(full, $"{where}: \"embed\" must be an object with \"column\" (and \"model\" for another generator than the default)");
            var column = (string?)json["column"] ?? throw Bad(full, $"{where}: \"embed\" needs \"column\": the text to embed");
            // Rule: an embed step without "model" uses the default generator (MiniLM, which the tool carries),
            // never the pipeline's chat model: a chat model's vectors are a poor measure of meaning.
            var model = (string?)json["model"];
            try
            {
                var generator = model is null ? EmbeddingGenerators.Default : EmbeddingGeneratorOf(model);
                return parent.Embed(column, generator, (string?)json["output"], new EmbedOptions { BatchSize = (int?)json["batch_size"] ?? 64 }, step.Name);
            }
            catch (Exception error) when (error is ModelSpecException or InvalidOperationException)
            {
                throw Bad(full, $"{where}: {DistilCommand.OneLine(ErrorText.Of(error))}");
            }
        }

        // A named generator: local:PATH (relative to the file), azure:DEPLOYMENT, openai:MODEL or endpoint:URL#MODEL.
        IEmbeddingGenerator<string, Embedding<float>> EmbeddingGeneratorOf(string model) =>
            model.StartsWith("local:", StringComparison.OrdinalIgnoreCase)
                ? Distil.LlamaSharp.LocalModelsRegistration.CreateEmbeddingGenerator(model.Contains('?') ? model : ResolveLocal(model))
                : model.StartsWith("azure:", StringComparison.OrdinalIgnoreCase)
                    ? Distil.AzureOpenAI.AzureOpenAIProviders.CreateEmbeddingGenerator(model)
                    : Distil.OpenAI.OpenAIProviders.CreateEmbeddingGenerator(model);

        // local:PATH relative to the pipeline file, as input files are.
        string ResolveLocal(string model)
        {
            var path = model["local:".Length..];
            return "local:" + (Path.IsPathRooted(path) || File.Exists(path) ? path : Path.Combine(folder, path));
        }

        StepHandle Validate(StepHandle parent, StepSpec step, string where)
        {
            var json = step.Json["validate"] as JsonObject ?? throw Bad(full, $"{where}: \"validate\" must be an object with \"column\" and \"kind\"");
            var column = (string?)json["column"] ?? throw Bad(full, $"{where}: \"validate\" needs \"column\": the column to check");
            try
            {
                IRowValidator validator = (string?)json["kind"] switch
                {
                    "csharp" => Distil.Validation.Validators.CSharp(),
                    "json_schema" => Distil.Validation.Validators.JsonSchema(json["schema"]?.ToJsonString() ?? throw new ArgumentException("\"json_schema\" needs \"schema\": the JSON schema")),
                    "regex" => RowValidators.Regex((string?)json["pattern"] ?? throw new ArgumentException("\"regex\" needs \"pattern\"")),
                    var other => throw new ArgumentException($"\"kind\" is csharp, json_schema or regex, not '{other}'"),
                };
                return parent.Validate(column, validator, (bool?)json["keep_valid"] ?? false, step.Name);
            }
            catch (ArgumentException error)
            {
                throw Bad(full, $"{where}: {DistilCommand.OneLine(ErrorText.Of(error))}");
            }
        }

        StepHandle Dedup(StepHandle parent, StepSpec step, string where)
        {
            var json = step.Json["dedup"] as JsonObject ?? throw Bad(full, $"{where}: \"dedup\" must be an object with \"column\" and \"method\"");
            var column = (string?)json["column"] ?? throw Bad(full, $"{where}: \"dedup\" needs \"column\": the text column to compare");
            var method = (string?)json["method"] ?? "minhash";
            try
            {
                var options = new DedupOptions
                {
                    Method = method switch
                    {
                        "exact" => DedupMethod.Exact,
                        "minhash" => DedupMethod.MinHash,
                        "embedding" => DedupMethod.Embedding,
                        _ => throw new ArgumentException($"\"method\" is exact, minhash or embedding, not '{method}'"),
                    },
                    Threshold = (double?)json["threshold"] ?? 0.7,
                    ShingleSize = (int?)json["shingle_size"] ?? 3,
                    Permutations = (int?)json["permutations"] ?? 128,
                    VectorIndex = method == "embedding" ? Distil.USearch.HnswVectorIndex.Factory(searchBreadth: (int?)json["search_breadth"] ?? 64) : null,
                };
                return parent.Deduplicate(column, options, step.Name);
            }
            catch (Exception error) when (error is ArgumentException or FormatException or InvalidOperationException)
            {
                throw Bad(full, $"{where}: {DistilCommand.OneLine(ErrorText.Of(error))}");
            }
        }

        IRowSource Sample(JsonObject spec)
        {
            try { return RowSources.Sample(spec); } catch (FormatException error) { throw Bad(full, ErrorText.Of(error)); }
        }

        IRowSource Source(string file)
        {
            if (!File.Exists(file)) throw Bad(full, $"the input file '{file}' does not exist");
            try { return RowSources.File(file); } catch (ArgumentException error) { throw Bad(full, ErrorText.Of(error)); }
        }

        // "load": {"reviewed": "runs/qa", "step": "answer", "keep": "accepted"}: another run's rows with their review labels.
        IRowSource Reviewed(JsonObject json, string where)
        {
            var at = $"{where}: \"load\"";
            var directory = Path.Combine(folder, Text(json, "reviewed", full, at));
            if (!RunDirectoryReader.HasStore(directory))
                throw Bad(full, $"{at} reads the reviewed rows of the run directory '{directory}', which has no run store ({RunDirectoryReader.StoreFileName})");
            var step = json["step"] is null ? null : Text(json, "step", full, at);
            try
            {
                var keep = json["keep"] is null ? ReviewKeep.All : ReviewedRows.ParseKeep(Text(json, "keep", full, at));
                var steps = RunDirectoryReader.ReadSteps(directory).Select(s => s.Name).ToList();
                if (step is not null && !steps.Contains(step))
                {
                    var hint = DidYouMean.Closest(step, steps) is { } close ? $"did you mean '{close}'?" : $"its steps are {string.Join(", ", steps)}";
                    throw Bad(full, $"{at}: the run directory '{directory}' has no step '{step}'; {hint}");
                }
                return RowSources.Reviewed(directory, step ?? ReviewedRows.LastStep(directory), keep);
            }
            catch (ArgumentException error)
            {
                throw Bad(full, $"{at}: {ErrorText.Of(error)}");
            }
        }

        IRowSink Sink(string file)
        {
            // A shard writes outputs of its own: answers.jsonl becomes answers.shard-0-of-4.jsonl.
            // A path without an extension is a dataset folder in the Hugging Face layout.
            var folderOutput = Path.GetExtension(file.TrimEnd('/', '\\')).Length == 0;
            var target = shard is null ? file : shard.Suffix(file, isFolder: folderOutput);
            try { return folderOutput ? RowSinks.HuggingFace(target) : RowSinks.File(target); } catch (ArgumentException error) { throw Bad(full, ErrorText.Of(error)); }
        }
    }

    private static List<StepSpec> ReadSteps(JsonObject root, string file)
    {
        if (root["steps"] is not JsonArray array || array.Count == 0) throw Bad(file, "\"steps\" must be a non-empty list of steps");
        var steps = new List<StepSpec>();
        for (var i = 0; i < array.Count; i++)
        {
            if (array[i] is not JsonObject json) throw Bad(file, $"step {i + 1} is not an object");
            var name = Text(json, "name", file, $"step {i + 1}");
            var kinds = Kinds.Where(json.ContainsKey).ToList();
            if (kinds.Count != 1)
            {
                throw Bad(file, $"step '{name}' must have exactly one of {string.Join(", ", Kinds)}; it has {(kinds.Count == 0 ? "none" : string.Join(", ", kinds))}");
            }
            var after = json["after"] switch
            {
                null => [],
                JsonValue one when one.GetValueKind() == JsonValueKind.String => [one.GetValue<string>()],
                JsonArray many => many.Select(n => (string?)n ?? throw Bad(file, $"step '{name}': \"after\" holds a null")).ToList(),
                _ => throw Bad(file, $"step '{name}': \"after\" must be a step name or a list of names"),
            };
            if (steps.Any(s => s.Name == name)) throw Bad(file, $"two steps are named '{name}'");
            steps.Add(new StepSpec(name, kinds[0], json, after));
        }
        if (root["edges"] is JsonArray edges)
        {
            foreach (var edge in edges)
            {
                if (edge is not JsonArray { Count: 2 } pair || (string?)pair[0] is not { } from || (string?)pair[1] is not { } to)
                {
                    throw Bad(file, "each of \"edges\" must be a pair [\"from\", \"to\"]");
                }
                (steps.FirstOrDefault(s => s.Name == to) ?? throw Bad(file, $"an edge goes to '{to}', which is not a step")).After.Add(from);
            }
        }
        return steps;
    }

    // Steps in an order where each comes after the ones it reads from; unknown names and cycles are errors.
    private static List<StepSpec> Order(List<StepSpec> steps, string file)
    {
        var names = steps.Select(s => s.Name).ToList();
        foreach (var step in steps)
        {
            foreach (var before in step.After.Where(b => !names.Contains(b)))
            {
                var hint = DidYouMean.Closest(before, names) is { } close ? $"; did you mean '{close}'?" : "";
                throw Bad(file, $"step '{step.Name}' comes after '{before}', which is not a step{hint}");
            }
        }
        var order = new List<StepSpec>();
        var remaining = new List<StepSpec>(steps);
        while (remaining.Count > 0)
        {
            var ready = remaining.FirstOrDefault(s => s.After.All(b => order.Any(o => o.Name == b)))
                ?? throw Bad(file, $"the steps {string.Join(", ", remaining.Select(s => s.Name))} form a cycle through \"after\"");
            order.Add(ready);
            remaining.Remove(ready);
        }
        return order;
    }

    private static LlmTask Task(StepSpec step, string file, string? defaultModel, Func<string, IChatClient> createClient, ILookup<string, (string Pair, string Given)> overrides,
        UserCode user, McpToolServers? toolServers)
    {
        var where = $"step '{step.Name}'";
        var parameters = step.Json["params"] switch
        {
            null => [],
            JsonObject values => values.Select(p => $"{p.Key}={(p.Value is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : p.Value?.ToJsonString() ?? "null")}").ToList(),
            _ => throw Bad(file, $"{where}: \"params\" must be an object of name: value"),
        };
        LlmTask task;
        try
        {
            task = user.CreateTask(Text(step.Json, "task", file, where), parameters);
        }
        catch (Exception error) when (error is ArgumentException or PipelineException or FormatException)
        {
            throw Bad(file, $"{where}: {DistilCommand.OneLine(ErrorText.Of(error))}");
        }
        task.Name = step.Name;
        // Rule: --param step.name=value wins over the step's "params" and keys (it is applied after
        // them); a problem with one is said as the --param it came from, not as the file's.
        var given = overrides[step.Name].ToList();
        PipelineFileException BadParam(Exception error) =>
            new(ErrorText.Sentence($"--param {string.Join(", ", given.Select(g => $"'{g.Given}'"))}: {DistilCommand.OneLine(ErrorText.Of(error))}"));
        // prometheus_eval's mode picks the task's type: the task is made again with it.
        if (given.Where(g => g.Pair.StartsWith("mode=", StringComparison.Ordinal)).Select(g => g.Pair).ToList() is { Count: > 0 } mode)
        {
            try
            {
                task = Distil.Tasks.BuiltInTasks.Create(Text(step.Json, "task", file, where), [.. parameters, .. mode]);
            }
            catch (Exception error) when (error is ArgumentException or PipelineException or FormatException)
            {
                throw BadParam(error);
            }
            task.Name = step.Name;
        }
        var model = (string?)step.Json["model"] ?? defaultModel ?? throw Bad(file, $"{where} has no \"model\", and neither the file nor --model gives one");
        task.Llm = createClient(model);
        SetKey("concurrency", "a whole number of 1 or more", value => task.MaxConcurrency = value.GetValue<int>());
        SetKey("num_generations", "a whole number of 1 or more", value => task.NumGenerations = value.GetValue<int>());
        SetKey("structured", "true or false", value => task.UseDefaultStructuredOutput = value.GetValue<bool>());
        // "tools": read (and so checked) here; the servers start with the run, not with the file.
        if (step.Json["tools"] is not null)
        {
            List<Distil.Mcp.McpServerOptions> servers;
            try { servers = McpToolServers.FromPipelineFile(step.Json["tools"], Path.GetDirectoryName(file)!); }
            catch (ArgumentException error) { throw Bad(file, $"{where}: {ErrorText.Of(error)}"); }
            toolServers?.Declare(task, where, servers);
        }
        try
        {
            RuntimeParameters.ApplyTo(task, given.Select(g => g.Pair).Where(p => !p.StartsWith("mode=", StringComparison.Ordinal)));
        }
        catch (Exception error) when (error is ArgumentException or PipelineException or FormatException)
        {
            throw BadParam(error);
        }
        return task;

        // One of the step's own keys: a wrong value is said with the key, what it must be, and what it is.
        void SetKey(string key, string expected, Action<JsonNode> set)
        {
            if (step.Json[key] is not { } value) return;
            try
            {
                set(value);
            }
            catch (Exception error) when (error is InvalidOperationException or FormatException or ArgumentOutOfRangeException)
            {
                throw Bad(file, $"{where}: \"{key}\" must be {expected}; it is {value.ToJsonString()}");
            }
        }
    }

    // --param step.name=value pairs, by step: each names a task step of the file (or the closest one).
    private static ILookup<string, (string Pair, string Given)> StepParameters(IReadOnlyList<string> parameters, List<StepSpec> steps)
    {
        var found = new List<(string Step, string Pair, string Given)>();
        foreach (var given in parameters)
        {
            var equals = given.IndexOf('=', StringComparison.Ordinal);
            var name = equals < 0 ? "" : given[..equals].Trim();
            var dot = name.LastIndexOf('.');
            if (equals < 0 || dot <= 0 || dot == name.Length - 1)
            {
                throw new PipelineFileException($"--param '{given}': with --pipeline, a parameter names its step: step.name=value, e.g. --param {steps.FirstOrDefault(s => s.Kind is "task" or "generate")?.Name ?? "answer"}.temperature=0.2");
            }
            var stepName = name[..dot];
            var step = steps.FirstOrDefault(s => s.Name == stepName);
            if (step is null)
            {
                var hint = DidYouMean.Closest(stepName, steps.Select(s => s.Name)) is { } close ? $" Did you mean '{close}'?" : "";
                throw new PipelineFileException($"--param '{given}': the pipeline has no step '{stepName}'.{hint} Its steps with parameters: {string.Join(", ", steps.Where(s => s.Kind is "task" or "generate" or "step").Select(s => s.Name))}");
            }
            if (step.Kind is not ("task" or "generate" or "step"))
            {
                throw new PipelineFileException($"--param '{given}': step '{stepName}' ({step.Kind}) has no parameters; only task steps and your own steps do");
            }
            found.Add((stepName, name[(dot + 1)..] + given[equals..], given));
        }
        return found.ToLookup(f => f.Step, f => (f.Pair, f.Given), StringComparer.Ordinal);
    }

    // A --param value for a step's setting: JSON when it reads as JSON (2, true, ["a"]), else text.
    private static JsonNode? ParamValue(string text)
    {
        try
        {
            return JsonNode.Parse(text);
        }
        catch (JsonException)
        {
            return JsonValue.Create(text);
        }
    }

    // Rule: every key of every object is one the reader knows (PipelineFileKeys); an unknown one is
    // an error with its line and column and the closest known key, before anything is built.
    private static void CheckKeys(JsonObject root, string file, JsonPositions positions)
    {
        CheckObject(root, PipelineFileKeys.File, "", file, positions);
        if (root["steps"] is not JsonArray steps) return;
        var everyStepKey = PipelineFileKeys.Common.Select(k => k.Name)
            .Concat(PipelineFileKeys.Kinds.SelectMany(k => k.Others.Select(o => o.Name).Prepend(k.Kind.Name))).Distinct().ToList();
        for (var i = 0; i < steps.Count; i++)
        {
            if (steps[i] is not JsonObject step) continue; // said by ReadSteps
            var name = step["name"] is JsonValue value && value.GetValueKind() == JsonValueKind.String ? value.GetValue<string>() : $"{i + 1}";
            var kinds = Kinds.Where(step.ContainsKey).ToList();
            if (kinds.Count == 1)
            {
                CheckObject(step, PipelineFileKeys.Step(kinds[0], name), $"/steps/{i}", file, positions);
                continue;
            }
            // Without one kind (said by ReadSteps), a key no step may have is likely a misspelt kind.
            foreach (var (key, _) in step)
            {
                if (everyStepKey.Contains(key)) continue;
                throw Unknown(file, positions, $"/steps/{i}/{key}", $"step '{name}'", key, everyStepKey);
            }
        }
    }

    private static void CheckObject(JsonObject json, PipelineFileShape shape, string path, string file, JsonPositions positions)
    {
        if (shape.Keys is null) return; // free names, read by the step
        foreach (var (key, value) in json)
        {
            var known = shape.Find(key) ?? throw Unknown(file, positions, $"{path}/{key}", shape.What, key, shape.Keys.Select(k => k.Name).ToList());
            if (known.Holds is { } inner && value is JsonObject nested) CheckObject(nested, inner with { What = $"{shape.What}: \"{key}\"" }, $"{path}/{key}", file, positions);
            // A list of objects of known keys ("tools": "mcp" entries): each object is checked alike.
            if (known.Holds is { Keys: not null } itemShape && value is JsonArray items)
            {
                for (var i = 0; i < items.Count; i++)
                {
                    if (items[i] is JsonObject item) CheckObject(item, itemShape with { What = $"{shape.What}: \"{key}\" entry {i + 1}" }, $"{path}/{key}/{i}", file, positions);
                }
            }
        }
    }

    private static PipelineFileException Unknown(string file, JsonPositions positions, string path, string what, string key, IReadOnlyList<string> known)
    {
        var hint = DidYouMean.Closest(key, known) is { } close ? $"; did you mean \"{close}\"?" : $"; it may have {string.Join(", ", known)}";
        var at = positions.Key(path) is { } position ? $"{position}: " : "";
        return Bad(file, $"{at}{what} has no key \"{key}\"{hint}");
    }

    private static string Text(JsonObject json, string key, string file, string where) =>
        json[key] is JsonValue value && value.GetValueKind() == JsonValueKind.String && value.GetValue<string>() is { Length: > 0 } text
            ? text
            : throw Bad(file, $"{where} needs \"{key}\" as a non-empty string");

    private static List<string> Strings(JsonObject json, string key, string file, string where) =>
        json[key] is JsonArray { Count: > 0 } array && array.All(n => n is JsonValue v && v.GetValueKind() == JsonValueKind.String)
            ? array.Select(n => n!.GetValue<string>()).ToList()
            : throw Bad(file, $"{where} needs \"{key}\" as a non-empty list of column names");

    private static Dictionary<string, string> Map(JsonObject json, string key, string file, string where) =>
        json[key] is JsonObject { Count: > 0 } map && map.All(p => p.Value is JsonValue v && v.GetValueKind() == JsonValueKind.String)
            ? map.ToDictionary(p => p.Key, p => p.Value!.GetValue<string>())
            : throw Bad(file, $"{where} needs \"{key}\" as an object of old name: new name");

    private static PipelineFileException Bad(string file, string problem) => new(ErrorText.Sentence($"{file}: {problem}"));
}
