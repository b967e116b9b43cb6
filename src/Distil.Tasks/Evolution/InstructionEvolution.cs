using System.ComponentModel;
using Distil.Tasks.Parsing;
using Microsoft.Extensions.AI;

namespace Distil.Tasks;

/// <summary>
/// What <see cref="EvolInstruct"/> and <see cref="EvolComplexity"/> share: an instruction is
/// rewritten over <see cref="NumEvolutions"/> rounds, each with a mutation picked at random (from
/// <see cref="Seed"/>, the row and the generation, so runs repeat), each round rewriting the
/// answer of the one before. Optionally the evolved instructions are answered too.
/// </summary>
/// <remarks>
/// Columns: <c>instruction</c> → <c>evolved_instruction</c> (the last round's),
/// <c>evolved_instructions</c> (every round's, with <see cref="StoreEvolutions"/>), <c>answer</c>
/// (with <see cref="GenerateAnswers"/>: the answer to the last instruction) and <c>answers</c>
/// (with both: one answer per stored instruction). Columns not asked for are null, so every row
/// has the same columns. A round whose answer is empty leaves the generation unparsed.
/// The rounds answer in plain text: these tasks have no structured-output mode.
/// </remarks>
public abstract class InstructionEvolution : LlmTask<InstructionEvolution.Input, InstructionEvolution.Output>
{
    private readonly int _numEvolutions = 1;
    private Mutations _mutations;

    /// <summary>Starts with the default mutations of the concrete task.</summary>
    private protected InstructionEvolution(IReadOnlyDictionary<string, string> mutations) =>
        _mutations = new Mutations(mutations, GetType().Name, EvolutionPrompts.PromptPlaceholder);

    /// <summary>The instruction to evolve.</summary>
    public sealed record Input(string Instruction);

    /// <summary>The evolved instruction(s) and, if asked for, their answers.</summary>
    public sealed record Output(
        [property: Description("The instruction after the last round.")] string? EvolvedInstruction,
        [property: Description("The instruction after every round, in order.")] IReadOnlyList<string>? EvolvedInstructions = null,
        [property: Description("The answer to the last instruction.")] string? Answer = null,
        [property: Description("The answer to every stored instruction, in order.")] IReadOnlyList<string?>? Answers = null);

    /// <summary>How many rounds of evolution each instruction goes through (default 1).</summary>
    public int NumEvolutions
    {
        get => _numEvolutions;
        init => _numEvolutions = value >= 1 ? value : throw new ArgumentOutOfRangeException(nameof(NumEvolutions), value, "NumEvolutions must be 1 or more.");
    }

    /// <summary>Keep the instruction of every round in <c>evolved_instructions</c> (default false).</summary>
    public bool StoreEvolutions { get; init; }

    /// <summary>Answer the evolved instruction(s) with one more call each (default false).</summary>
    public bool GenerateAnswers { get; init; }

    /// <summary>Put the original instruction first in <c>evolved_instructions</c> (default false).</summary>
    public bool IncludeOriginalInstruction { get; init; }

    /// <summary>The seed of the mutation choices (default 42). The row and generation are mixed in.</summary>
    public int Seed { get; init; } = 42;

    /// <summary>
    /// The mutations to pick from, by name; each prompt holds <c>&lt;PROMPT&gt;</c> where the
    /// instruction goes. Defaults to the task's own set (see <see cref="EvolutionPrompts"/>).
    /// </summary>
    /// <exception cref="ArgumentException">The set is empty, or a prompt lacks <c>&lt;PROMPT&gt;</c>.</exception>
    public IReadOnlyDictionary<string, string> Mutations
    {
        get => _mutations.Source;
        init => _mutations = new Mutations(value, GetType().Name, EvolutionPrompts.PromptPlaceholder);
    }

    /// <inheritdoc/>
    public override bool MakesDependentCalls => true;

    /// <summary>The prompt of a first round, with the first mutation by name: what <c>Print</c> shows.</summary>
    private protected IReadOnlyList<ChatMessage> FirstRound(Input input) =>
        [new ChatMessage(ChatRole.User, Tasks.Mutations.Fill(_mutations.First, input.Instruction))];

    /// <summary>
    /// One round's answer read alone, as <c>FormatOutput</c> does for a single answer: the columns a
    /// run of one round would write (<c>evolved_instructions</c> only with <see cref="StoreEvolutions"/>).
    /// </summary>
    private protected Output? ReadRound(string text, Input input) =>
        EvolvedText.Read(text) is { } evolved
            ? new Output(evolved, StoreEvolutions ? IncludeOriginalInstruction ? [input.Instruction, evolved] : [evolved] : null)
            : null;

    /// <inheritdoc/>
    protected override string WhyNoStructuredOutput => "each round answers with a plain instruction";

    /// <inheritdoc/>
    protected override async Task<Output?> GenerateAsync(Input input, GenerationCalls calls, CancellationToken cancellationToken)
    {
        var rounds = await _mutations.EvolveAsync(calls, calls.CreateRandom(Seed), NumEvolutions, input.Instruction,
            (mutation, current) => Tasks.Mutations.Fill(mutation, current)).ConfigureAwait(false);
        if (rounds is null) return null;
        var current = rounds[^1];
        List<string> evolved = IncludeOriginalInstruction ? [input.Instruction, .. rounds] : rounds;

        if (!GenerateAnswers) return new Output(current, StoreEvolutions ? evolved : null);

        var answers = new List<string?>();
        foreach (var instruction in StoreEvolutions ? evolved : [current])
        {
            var answer = await calls.AskAsync([new ChatMessage(ChatRole.User, instruction)]).ConfigureAwait(false);
            answers.Add(string.IsNullOrWhiteSpace(answer) ? null : answer.Trim());
        }
        return new Output(current, StoreEvolutions ? evolved : null, answers[^1], StoreEvolutions ? answers : null);
    }
}
