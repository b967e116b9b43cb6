using Distil.Pipelines;

namespace Distil.Tasks;

/// <summary>
/// The built-in tasks by name, for tools that pick a task from text (the <c>distil</c> command,
/// pipeline files): create one with parameters given as <c>name=value</c>, list their columns and
/// parameters.
/// </summary>
public static class BuiltInTasks
{
    private const string PrometheusMode = "mode";

    private static readonly Dictionary<string, (Func<LlmTask> Create, string Summary)> Tasks = new(StringComparer.Ordinal)
    {
        ["text_generation"] = (() => new TextGeneration(), "answers an instruction, or a template over any columns"),
        ["chat_generation"] = (() => new ChatGeneration(), "answers the last user turn of a conversation"),
        ["quality_scorer"] = (() => new QualityScorer(), "scores each response to an instruction"),
        ["complexity_scorer"] = (() => new ComplexityScorer(), "scores how complex each instruction is"),
        ["ultrafeedback"] = (() => new UltraFeedback(), "rates generations on one aspect, with rationales"),
        ["prometheus_eval"] = (() => new PrometheusEval(), "grades a generation on a rubric (mode=absolute) or picks the better of two (mode=relative)"),
        ["instruction_backtranslation"] = (() => new InstructionBacktranslation(), "scores how well a generation answers its instruction"),
        ["self_instruct"] = (() => new SelfInstruct(), "writes new instructions from an input"),
        ["instruction_generator"] = (() => new InstructionGenerator(), "writes one instruction from an optional topic, difficulty and persona (a generator: seeds or nothing)"),
        ["genstruct"] = (() => new Genstruct(), "writes a user/assistant exchange grounded in a document"),
        ["urial"] = (() => new Urial(), "makes a base model answer like an assistant, few-shot"),
        ["generate_sentence_pair"] = (() => new GenerateSentencePair(), "writes a positive (and negative) sentence for an anchor"),
        ["clair"] = (() => new Clair(), "revises a student's solution minimally"),
        ["text_classification"] = (() => new TextClassification(), "labels a text, always as JSON"),
        ["evol_instruct"] = (() => new EvolInstruct(), "evolves instructions over rounds of random mutations"),
        ["evol_complexity"] = (() => new EvolComplexity(), "evolves instructions into more complex ones"),
        ["evol_quality"] = (() => new EvolQuality(), "evolves responses into better ones"),
        ["structured_generation"] = (() => new StructuredGeneration(), "answers in JSON following a schema given per row"),
        ["magpie"] = (() => new Magpie(), "makes instructions and answers from a local model's chat template"),
        ["apigen_generator"] = (() => new ApiGenGenerator(), "writes user queries for a set of tools, each with its expected function calls (APIGen)"),
        ["apigen_semantic_checker"] = (() => new ApiGenSemanticChecker(), "judges whether a query's function calls and their results do what it asks (APIGen)"),
    };

    /// <summary>The names of the built-in tasks, sorted.</summary>
    public static IReadOnlyList<string> Names { get; } = Tasks.Keys.Order(StringComparer.Ordinal).ToList();

    /// <summary>One line on what a built-in task does.</summary>
    /// <exception cref="ArgumentException">No built-in task has that name.</exception>
    public static string Summary(string name) => Entry(name).Summary;

    /// <summary>
    /// Creates the built-in task <paramref name="name"/> and sets <paramref name="parameters"/>
    /// (<c>aspect=honesty</c>, <c>temperature=0.2</c>; see <see cref="RuntimeParameters.ApplyTo"/>).
    /// <c>prometheus_eval</c> takes <c>mode=absolute</c> (default) or <c>mode=relative</c>.
    /// </summary>
    /// <exception cref="ArgumentException">No built-in task has that name (the message suggests one), or a bad mode.</exception>
    /// <exception cref="PipelineException">A parameter the task does not have, or a value it refuses.</exception>
    /// <exception cref="FormatException">A parameter is not <c>name=value</c>.</exception>
    public static LlmTask Create(string name, IEnumerable<string>? parameters = null)
    {
        var pairs = (parameters ?? []).ToList();
        var task = Entry(name).Create();
        if (name == "prometheus_eval")
        {
            var mode = pairs.LastOrDefault(p => p.StartsWith(PrometheusMode + "=", StringComparison.Ordinal))?[(PrometheusMode.Length + 1)..];
            pairs.RemoveAll(p => p.StartsWith(PrometheusMode + "=", StringComparison.Ordinal));
            task = mode switch
            {
                null or "absolute" => task,
                "relative" => new PrometheusEvalRelative(),
                _ => throw new ArgumentException($"prometheus_eval has no mode '{mode}'; use mode=absolute or mode=relative."),
            };
        }
        RuntimeParameters.ApplyTo(task, pairs);
        return task;
    }

    /// <summary>
    /// The parameters a built-in task has of its own (besides the settings every task has, such as
    /// <c>num_generations</c>, and the LLM options), in snake_case.
    /// </summary>
    public static IReadOnlyList<string> Parameters(LlmTask task)
    {
        ArgumentNullException.ThrowIfNull(task);
        var shared = LlmTask.SharedSettings.Select(s => s.Name).ToHashSet(StringComparer.Ordinal);
        var own = task.Settings.Where(s => s.CanSet && !shared.Contains(s.Name)).Select(s => s.Name);
        return task is PrometheusEval or PrometheusEvalRelative ? [PrometheusMode, .. own] : own.ToList();
    }

    private static (Func<LlmTask> Create, string Summary) Entry(string name)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        if (Tasks.TryGetValue(name, out var entry)) return entry;
        var suggestion = DidYouMean.Closest(name, Names) is { } close ? $" Did you mean '{close}'?" : "";
        throw new ArgumentException($"There is no built-in task '{name}'.{suggestion} Run 'distil tasks' for the list.");
    }
}
