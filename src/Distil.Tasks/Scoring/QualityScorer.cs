using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using Distil.Tasks.Parsing;

namespace Distil.Tasks;

/// <summary>
/// Scores several responses to one instruction for quality (the "Deita" quality scorer recipe):
/// one score per response, in the order of <c>responses</c>.
/// </summary>
/// <remarks>
/// Columns: <c>instruction</c>, <c>responses</c> → <c>scores</c>. The model answers one line per
/// response, <c>[i] Score: N</c>; noise around the lines is ignored, and a response without a
/// readable line gets a null score, so <c>scores</c> always has one entry per response.
/// </remarks>
[Task("quality_scorer")]
[UserPrompt("""
Rate the quality of each response below as an answer to the instruction. Consider how helpful,
correct, relevant, deep and clear it is. Give each response a whole-number score from 1 (very
poor) to 6 (excellent); responses of equal quality may share a score.

Instruction:
{{ instruction }}

{{ for response in responses }}[{{ for.index + 1 }}] Response:
{{ response }}

{{ end }}Reply with exactly one line per response, in this form and nothing else:
{{ for response in responses }}[{{ for.index + 1 }}] Score: <score>
{{ end }}
""")]
public sealed partial class QualityScorer : LlmTask<QualityScorer.Input, QualityScorer.Output>
{
    /// <summary>The instruction and the responses to score.</summary>
    public sealed record Input(string Instruction, IReadOnlyList<string> Responses);

    /// <summary>One score per response; null where the answer gave none that could be read.</summary>
    public sealed record Output([property: Description("One score per response, in order, from 1 to 6."), SameCountAs(nameof(Input.Responses)), Range(1, 6)] IReadOnlyList<double?> Scores);

    static Output ParseOutput(string text, Input input) => new(AnswerText.IndexedScores(text, input.Responses.Count));

    /// <summary>An unreadable answer gives one null score per response, as distilabel writes it.</summary>
    protected override Output UnreadableOutput(Input input) => new(new double?[input.Responses.Count]);
}
