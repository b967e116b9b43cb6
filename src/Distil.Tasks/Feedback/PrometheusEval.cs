using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using Distil.Tasks.Parsing;

namespace Distil.Tasks;

/// <summary>
/// Grades one response against a rubric from 1 to 5, with written feedback (the "Prometheus"
/// evaluator, absolute mode). For choosing between two responses, see
/// <see cref="PrometheusEvalRelative"/>; both are the <c>prometheus_eval</c> task.
/// </summary>
/// <remarks>
/// Columns: <c>instruction</c>, <c>generation</c>, optional <c>reference</c> → <c>feedback</c>,
/// <c>result</c>. Parameters: <see cref="Rubric"/>, <see cref="Rubrics"/>. The answer is the
/// feedback, then <c>[RESULT] N</c> with N from 1 to 5; anything else gives null for both columns.
/// </remarks>
[Task("prometheus_eval")]
[SystemPrompt("You are a fair judge of AI responses. You give precise feedback and a score that follows the rubric strictly, not your own standards.")]
[UserPrompt("""
Grade the response to the instruction below against the rubric.{{ if reference }} A reference answer that would get the top score is given for comparison.{{ end }}

### Instruction
{{ instruction }}

### Response
{{ generation }}
{{ if reference }}
### Reference answer (score 5)
{{ reference }}
{{ end }}
### Rubric
{{ rubric_text }}

Write feedback that judges the response strictly by the rubric, then end with a line
"[RESULT] N", where N is an integer from 1 to 5. Write nothing after it.
""")]
public sealed partial class PrometheusEval : LlmTask<PrometheusEval.Input, PrometheusEval.Output>
{
    /// <summary>The instruction, the response to grade and, optionally, a top-score reference answer.</summary>
    public sealed record Input(string Instruction, string Generation, string? Reference = null);

    /// <summary>The feedback and the score.</summary>
    public sealed record Output(
        [property: Description("Feedback on the response, by the rubric.")] string? Feedback,
        [property: Description("The score, from 1 to 5."), Range(1, 5)] int? Result);

    /// <summary>
    /// The rubric by name: <c>helpfulness</c> (default), <c>harmlessness</c>, <c>honesty</c>,
    /// <c>factual-validity</c>, <c>reasoning</c>, or one of <see cref="Rubrics"/>.
    /// </summary>
    public string Rubric { get; init; } = "helpfulness";

    /// <summary>
    /// Rubrics of your own by name: a question in brackets, then <c>Score 1:</c> to
    /// <c>Score 5:</c> lines. Checked when the prompt is rendered.
    /// </summary>
    public IReadOnlyDictionary<string, string>? Rubrics { get; init; }

    /// <summary>The text of the chosen rubric, as the prompt shows it.</summary>
    /// <exception cref="ArgumentException">The rubric is unknown, or a custom one is malformed.</exception>
    [TemplateParameter]
    public string RubricText => PrometheusRubrics.Resolve(Rubric, Rubrics);

    static Output? ParseOutput(string text, Input input)
    {
        if (PrometheusAnswer.Read(text) is not { } answer) return null;
        var score = AnswerText.WholeNumber(AnswerText.Number(answer.Result));
        return score is >= 1 and <= 5 ? new Output(answer.Feedback, score) : null;
    }
}
