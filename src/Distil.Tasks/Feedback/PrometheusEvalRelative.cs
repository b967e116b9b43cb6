using Distil.Tasks.Parsing;
using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using Distil.Mapping;

namespace Distil.Tasks;

/// <summary>
/// Chooses the better of two responses against a rubric, with written feedback (the
/// "Prometheus" evaluator, relative mode; task name <c>prometheus_eval</c>). For grading one
/// response, see <see cref="PrometheusEval"/>.
/// </summary>
/// <remarks>
/// Columns: <c>instruction</c>, <c>generations</c> (exactly two), optional <c>reference</c> →
/// <c>feedback</c>, <c>result</c> (<c>A</c> or <c>B</c>). The answer is the feedback, then
/// <c>[RESULT] A</c> or <c>[RESULT] B</c>; anything else gives null for both columns.
/// </remarks>
[Task("prometheus_eval")]
[SystemPrompt("You are a fair judge of AI responses. You compare them by the rubric alone, not by length or order, and explain your choice precisely.")]
[UserPrompt("""
Compare the two responses to the instruction below by the rubric, and choose the better one.{{ if reference }} A reference answer that would get the top score is given for comparison.{{ end }}

### Instruction
{{ instruction }}

### Response A
{{ generations[0] }}

### Response B
{{ generations[1] }}
{{ if reference }}
### Reference answer (score 5)
{{ reference }}
{{ end }}
### Rubric
{{ rubric_text }}

Write feedback that compares both responses by the rubric, then end with a line
"[RESULT] A" or "[RESULT] B". Write nothing after it.
""")]
public sealed partial class PrometheusEvalRelative : LlmTask<PrometheusEvalRelative.Input, PrometheusEvalRelative.Output>
{
    /// <summary>The instruction, the two responses and, optionally, a top-score reference answer.</summary>
    public sealed record Input(string Instruction, IReadOnlyList<string> Generations, string? Reference = null);

    /// <summary>The feedback and the better response.</summary>
    public sealed record Output(
        [property: Description("Feedback comparing the responses, by the rubric.")] string? Feedback,
        [property: Description("The better response: A or B."), AllowedValues("A", "B")] string? Result);

    /// <inheritdoc cref="PrometheusEval.Rubric"/>
    public string Rubric { get; init; } = "helpfulness";

    /// <inheritdoc cref="PrometheusEval.Rubrics"/>
    public IReadOnlyDictionary<string, string>? Rubrics { get; init; }

    /// <inheritdoc cref="PrometheusEval.RubricText"/>
    [TemplateParameter]
    public string RubricText => PrometheusRubrics.Resolve(Rubric, Rubrics);

    /// <summary>Relative grading compares exactly two responses.</summary>
    protected override void CheckInput(Input input)
    {
        if (input.Generations.Count != 2)
        {
            throw new RowValueException(
                $"column 'generations' must hold exactly two responses to compare; it holds {input.Generations.Count}");
        }
    }

    static Output? ParseOutput(string text, Input input)
    {
        if (PrometheusAnswer.Read(text) is not { } answer) return null;
        var result = answer.Result.ToUpperInvariant();
        return result is "A" or "B" ? new Output(answer.Feedback, result) : null;
    }
}
