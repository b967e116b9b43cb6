using Microsoft.Extensions.AI;

namespace Distil.Tasks;

/// <summary>
/// Evolves instructions into more complex ones (the in-depth half of Evol-Instruct, as used for
/// "Deita" complexity data): each round adds a constraint, deepens, concretizes or asks for
/// more reasoning steps; it never changes the topic.
/// </summary>
/// <remarks>
/// Columns: <c>instruction</c> → <c>evolved_instruction</c>, <c>evolved_instructions</c>,
/// <c>answer</c>, <c>answers</c>. Parameters: <c>NumEvolutions</c>, <c>StoreEvolutions</c>,
/// <c>GenerateAnswers</c>, <c>IncludeOriginalInstruction</c>, <c>Mutations</c>, <c>Seed</c>.
/// See <see cref="InstructionEvolution"/>.
/// </remarks>
[Task("evol_complexity")]
public sealed partial class EvolComplexity : InstructionEvolution
{
    /// <summary>A task with the default mutations, <see cref="EvolutionPrompts.Complexity"/>.</summary>
    public EvolComplexity()
        : base(EvolutionPrompts.Complexity)
    {
    }

    IReadOnlyList<ChatMessage> FormatMessages(Input input) => FirstRound(input);

    Output? ParseOutput(string text, Input input) => ReadRound(text, input);
}
