using Microsoft.Extensions.AI;

namespace Distil.Tasks;

/// <summary>
/// Evolves instructions into harder ones (the Evol-Instruct method of WizardLM): each round adds a
/// constraint, deepens, concretizes, asks for more reasoning steps, or writes a new instruction
/// in the same field (<c>BREADTH</c>).
/// </summary>
/// <remarks>
/// Columns: <c>instruction</c> → <c>evolved_instruction</c>, <c>evolved_instructions</c>,
/// <c>answer</c>, <c>answers</c>. Parameters: <c>NumEvolutions</c>, <c>StoreEvolutions</c>,
/// <c>GenerateAnswers</c>, <c>IncludeOriginalInstruction</c>, <c>Mutations</c>, <c>Seed</c>.
/// See <see cref="InstructionEvolution"/>.
/// </remarks>
[Task("evol_instruct")]
public sealed partial class EvolInstruct : InstructionEvolution
{
    /// <summary>A task with the default mutations, <see cref="EvolutionPrompts.Instruct"/>.</summary>
    public EvolInstruct()
        : base(EvolutionPrompts.Instruct)
    {
    }

    IReadOnlyList<ChatMessage> FormatMessages(Input input) => FirstRound(input);

    Output? ParseOutput(string text, Input input) => ReadRound(text, input);
}
