namespace Distil.Tasks;

/// <summary>
/// The default mutations of the evolution tasks, by name. Each is a prompt with the placeholder
/// <c>&lt;PROMPT&gt;</c> (the instruction being evolved) and, for <see cref="EvolQuality"/>,
/// <c>&lt;RESPONSE&gt;</c>. The names are those distilabel uses, so that settings carry over; the
/// texts are Distil's own.
/// </summary>
public static class EvolutionPrompts
{
    /// <summary>The placeholder for the instruction in a mutation.</summary>
    public const string PromptPlaceholder = "<PROMPT>";

    /// <summary>The placeholder for the response in an <see cref="EvolQuality"/> mutation.</summary>
    public const string ResponsePlaceholder = "<RESPONSE>";

    private const string Harder = """
        You rewrite instructions so that they become harder for a capable AI assistant, while a well-informed person could still understand and answer them. {0}
        Keep every part of the instruction that is not prose (code, tables, data) as it is. Add no more than about twenty words. Do not refer to "the original instruction" or "the rewritten instruction"; write the new instruction as if it were the first.

        Instruction to rewrite:
        <PROMPT>

        Answer with the rewritten instruction only.
        """;

    private static readonly KeyValuePair<string, string>[] Depth =
    [
        new("CONSTRAINTS", string.Format(Harder, "Add one more constraint or requirement the answer has to meet.")),
        new("DEEPENING", string.Format(Harder, "Ask about the subject in more depth, so that a good answer needs more knowledge.")),
        new("CONCRETIZING", string.Format(Harder, "Replace general ideas with more specific ones.")),
        new("INCREASED_REASONING_STEPS", string.Format(Harder,
            "If a few simple steps of thought solve it, restate it so that it plainly needs reasoning in several steps.")),
    ];

    private static readonly KeyValuePair<string, string> Breadth = new("BREADTH", """
        You write new instructions for training AI assistants. Take the instruction below as inspiration and write a brand-new one: from the same field, on a rarer topic, of about the same length and difficulty. A well-informed person must be able to understand and answer it. Do not refer to the instruction you were given.

        Instruction for inspiration:
        <PROMPT>

        Answer with the new instruction only.
        """);

    private const string Better = """
        You improve answers written by AI assistants. {0}
        The improved answer must still be correct and must still answer the instruction. Write it as a complete answer, not as a list of changes, and add no preamble.

        Instruction:
        <PROMPT>

        Answer to improve:
        <RESPONSE>

        Answer with the improved answer only.
        """;

    /// <summary>The mutations of <see cref="EvolInstruct"/>: the four in-depth ones and <c>BREADTH</c>.</summary>
    public static IReadOnlyDictionary<string, string> Instruct { get; } = new Dictionary<string, string>([.. Depth, Breadth]);

    /// <summary>The mutations of <see cref="EvolComplexity"/>: the in-depth ones only.</summary>
    public static IReadOnlyDictionary<string, string> Complexity { get; } = new Dictionary<string, string>(Depth);

    /// <summary>The mutations of <see cref="EvolQuality"/>.</summary>
    public static IReadOnlyDictionary<string, string> Quality { get; } = new Dictionary<string, string>
    {
        ["HELPFULNESS"] = string.Format(Better, "Make it more helpful to the person who asked."),
        ["RELEVANCE"] = string.Format(Better, "Make it more relevant: keep to what was asked and leave out what was not."),
        ["DEEPENING"] = string.Format(Better, "Make it go deeper, with more insight where it matters."),
        ["CREATIVITY"] = string.Format(Better, "Make it more creative, without making it less accurate."),
        ["DETAILS"] = string.Format(Better, "Add the details that make it more complete and concrete."),
    };
}
