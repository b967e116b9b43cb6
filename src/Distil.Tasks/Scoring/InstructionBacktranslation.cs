using System.ComponentModel;
using Distil.Tasks.Parsing;

namespace Distil.Tasks;

/// <summary>
/// Judges how well a response serves as the answer to an instruction, on a 5-point scale, with
/// the reasoning first (the "instruction backtranslation" self-curation step).
/// </summary>
/// <remarks>
/// Columns: <c>instruction</c>, <c>generation</c> → <c>score</c>, <c>reason</c>. The answer ends
/// with <c>Score: N</c> after the reasoning; the last <c>Score: N</c> is read wherever it stands (its
/// own line, or the end of the reasoning's line), and <c>reason</c> is the text before it. Without a
/// readable score both are null.
/// </remarks>
[Task("instruction_backtranslation")]
[SystemPrompt("You judge whether a response is a good answer to an instruction, as a careful reviewer of AI assistants would.")]
[UserPrompt("""
Judge how well the response answers the instruction, on this scale:
1 - it is off topic, incomplete or not an answer to the instruction at all;
2 - it addresses most of the request but not the request itself, or only in part;
3 - it is helpful and complete, but reads like text found elsewhere rather than a direct answer;
4 - it is a clear, complete and well organised answer written for this instruction, with small room to improve;
5 - it is an excellent answer: focused, expert, well written and engaging, with nothing irrelevant.

Instruction:
{{ instruction }}

Response:
{{ generation }}

First explain your judgement briefly. Then end with a last line of the form:
Score: <1-5>
""")]
public sealed partial class InstructionBacktranslation : LlmTask<InstructionBacktranslation.Input, InstructionBacktranslation.Output>
{
    /// <summary>The instruction and the response to judge.</summary>
    public sealed record Input(string Instruction, string Generation);

    /// <summary>The score from 1 to 5 and the reasoning that led to it.</summary>
    public sealed record Output(
        [property: Description("From 1 to 5.")] int? Score,
        [property: Description("Why the response got this score.")] string? Reason);

    static Output? ParseOutput(string text, Input input)
    {
        if (AnswerText.LastScore(text) is not { } score) return null;
        var value = AnswerText.WholeNumber(score.Value);
        if (value is null) return null;
        var reason = text[..score.Start].Trim();
        return new Output(value, reason.Length > 0 ? reason : null);
    }
}
