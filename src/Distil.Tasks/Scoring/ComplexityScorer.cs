using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using Distil.Tasks.Parsing;

namespace Distil.Tasks;

/// <summary>
/// Scores several instructions for complexity (the "Deita" complexity scorer recipe): one score
/// per instruction, in the order of <c>instructions</c>.
/// </summary>
/// <remarks>
/// Columns: <c>instructions</c> → <c>scores</c>. The model answers one line per instruction,
/// <c>[i] Score: N</c>; unreadable or missing lines give null, so <c>scores</c> always has one
/// entry per instruction.
/// </remarks>
[Task("complexity_scorer")]
[UserPrompt("""
Rate how complex each instruction below is: how much knowledge, reasoning and care it takes to
answer it well. Give each a whole-number score from 1 (trivial) to 6 (very demanding).

{{ for instruction in instructions }}[{{ for.index + 1 }}] {{ instruction }}
{{ end }}
Reply with exactly one line per instruction, in this form and nothing else:
{{ for instruction in instructions }}[{{ for.index + 1 }}] Score: <score>
{{ end }}
""")]
public sealed partial class ComplexityScorer : LlmTask<ComplexityScorer.Input, ComplexityScorer.Output>
{
    /// <summary>The instructions to score.</summary>
    public sealed record Input(IReadOnlyList<string> Instructions);

    /// <summary>One score per instruction; null where the answer gave none that could be read.</summary>
    public sealed record Output([property: Description("One score per instruction, in order, from 1 to 6."), SameCountAs(nameof(Input.Instructions)), Range(1, 6)] IReadOnlyList<double?> Scores);

    static Output ParseOutput(string text, Input input) => new(AnswerText.IndexedScores(text, input.Instructions.Count));

    /// <summary>An unreadable answer gives one null score per instruction, as distilabel writes it.</summary>
    protected override Output UnreadableOutput(Input input) => new(new double?[input.Instructions.Count]);
}
