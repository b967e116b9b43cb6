using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using System.Text.RegularExpressions;
using Distil.Tasks.Parsing;

namespace Distil.Tasks;

/// <summary>
/// Rates several generations for one instruction on one aspect, with a rationale per rating (the
/// "UltraFeedback" AI-feedback recipe, for preference data).
/// </summary>
/// <remarks>
/// Columns: <c>instruction</c>, <c>generations</c> → <c>ratings</c>, <c>rationales</c>, and for
/// the <c>helpfulness</c> and <c>truthfulness</c> aspects also <c>types</c> and
/// <c>rationales-for-ratings</c> (null for the other aspects). Parameter: <see cref="Aspect"/>.
/// The answer has one block per text, separated by a blank line: <c>Rating: N</c> and
/// <c>Rationale: ...</c>, preceded by <c>Type: N</c> and <c>Rationale: ...</c> for the two
/// four-field aspects. Every list has one entry per generation, null where unreadable
/// (<c>Rating: N/A</c> too).
/// </remarks>
[Task("ultrafeedback")]
[SystemPrompt("You are a fair and exacting evaluator of AI assistants. You judge each text on its own merits against the instruction and the criteria you are given.")]
[UserPrompt("""
{{ if aspect == "helpfulness" }}# Informativeness and helpfulness

Judge whether each text fulfils the task and gives accurate, useful information.

First classify what the text offers (Type), as one number:
1. Clear and relevant: it addresses the task and asks for clarification when the task is ambiguous.
2. Useful and comprehensive: it gives relevant background, reasoning steps or details.
3. Concise: it is not needlessly long and does not repeat itself.

Then rate it (Rating):
1. Severely incorrect: major errors or fabrications, even if long.
2. Partially incorrect: errors that may confuse the reader.
3. Correct: accurate and meets the task.
4. Highly informative: accurate, with valuable detail.
5. Outstandingly helpful: accurate, deep and insightful.
{{ else if aspect == "honesty" }}# Honesty and uncertainty

Judge whether each text conveys its confidence truthfully: certain where it is right, open about doubt where it may be wrong, and willing to say "I don't know" when it should.

Rate it (Rating):
1. Confidently incorrect: wrong, with no sign of doubt.
2. Confident with significant mistakes, or wholly unconfident and wrong.
3. Uncertain, or confident with minor mistakes.
4. Correct but uncertain, or with small mistakes it flags itself.
5. Correct and confident, with doubt expressed exactly where it is due.
{{ else if aspect == "instruction-following" }}# Instruction following

Judge how closely each text follows the instruction: its goal, and its constraints on content, form and style.

Rate it (Rating):
1. Irrelevant: it does not follow the instruction.
2. Partial focus: it addresses one part of the instruction poorly.
3. Partial compliance: it meets the goal or the constraints, not both, or both only in part.
4. Almost there: small deviations.
5. Comprehensive compliance: it meets every requirement.
{{ else if aspect == "truthfulness" }}# Truthfulness and hallucination

Judge whether each text gives accurate information without inventing facts.

First name the kind of hallucination it contains (Type), as one number, or None:
1. Facts that contradict established knowledge.
2. Content that contradicts the instruction or its input.
3. Statements that contradict each other within the text.

Then rate it (Rating):
1. Completely hallucinated: it cannot be relied on.
2. Severe hallucination: it strays far from the main points.
3. Partial hallucination: misunderstandings from hallucinated details.
4. Insignificant hallucination: slight errors that do not change the main points.
5. No hallucination.
{{ else }}# Overall quality

Judge the overall quality of each text as an answer to the instruction: helpfulness, correctness, honesty and how well it follows the instruction, together.

Rate it (Rating):
1. Poor: wrong, unhelpful or off the instruction.
2. Weak: some value, with serious errors or gaps.
3. Adequate: correct and on task, with noticeable flaws.
4. Good: accurate, helpful and well aligned, with small flaws.
5. Excellent: accurate, helpful, honest and fully on the instruction.
{{ end }}
## Instruction

{{ instruction }}

## Texts

{{ for generation in generations }}<text {{ for.index + 1 }}>
{{ generation }}
</text {{ for.index + 1 }}>

{{ end }}## Format

Answer with one block per text, in order, blocks separated by one blank line, and nothing else:
{{ for generation in generations }}{{ if aspect == "helpfulness" || aspect == "truthfulness" }}Type: <type of text {{ for.index + 1 }}>
Rationale: <why this type>
{{ end }}Rating: <rating of text {{ for.index + 1 }}>
Rationale: <why this rating>

{{ end }}
""")]
public sealed partial class UltraFeedback : LlmTask<UltraFeedback.Input, UltraFeedback.Output>
{
    /// <summary>The aspects the task knows.</summary>
    public static IReadOnlyList<string> Aspects { get; } = ["helpfulness", "honesty", "instruction-following", "truthfulness", "overall-rating"];

    private readonly string _aspect = "overall-rating";

    /// <summary>The instruction and the generations to rate.</summary>
    public sealed record Input(string Instruction, IReadOnlyList<string> Generations);

    /// <summary>One entry per generation in every list.</summary>
    public sealed record Output(
        [property: Description("One rating per text, in order."), SameCountAs(nameof(Input.Generations)), Range(1, 5)] IReadOnlyList<int?> Ratings,
        [property: Description("Why each rating (for helpfulness and truthfulness: why each type)."), SameCountAs(nameof(Input.Generations))] IReadOnlyList<string?> Rationales,
        [property: Description("Helpfulness and truthfulness only: one type per text."), SameCountAs(nameof(Input.Generations))] IReadOnlyList<int?>? Types,
        [property: Column("rationales-for-ratings"), Description("Helpfulness and truthfulness only: why each rating."), SameCountAs(nameof(Input.Generations))] IReadOnlyList<string?>? RationalesForRatings);

    /// <summary>
    /// What to rate: <c>helpfulness</c>, <c>honesty</c>, <c>instruction-following</c>,
    /// <c>truthfulness</c> or <c>overall-rating</c> (default).
    /// </summary>
    /// <exception cref="ArgumentException">The aspect is not one of <see cref="Aspects"/>.</exception>
    [TemplateParameter]
    public string Aspect
    {
        get => _aspect;
        init => _aspect = Aspects.Contains(value)
            ? value
            : throw new ArgumentException($"Unknown aspect '{value}' for ultrafeedback; use one of: {string.Join(", ", Aspects)}.", nameof(Aspect));
    }

    private bool HasTypes => Aspect is "helpfulness" or "truthfulness";

    // Parsing depends on the aspect, so ParseOutput is an instance method.
    Output ParseOutput(string text, Input input)
    {
        var count = input.Generations.Count;
        var ratings = new int?[count];
        var rationales = new string?[count];
        var types = HasTypes ? new int?[count] : null;
        var ratingRationales = HasTypes ? new string?[count] : null;

        var blocks = BlankLine().Split(text.Replace("\r\n", "\n"))
            .Where(block => RatingLine().IsMatch(block))
            .Take(count)
            .ToList();
        for (var i = 0; i < blocks.Count; i++)
        {
            var fields = Fields(blocks[i]);
            ratings[i] = AnswerText.WholeNumber(AnswerText.LeadingNumber(Field(fields, "rating", 0)));
            if (HasTypes)
            {
                types![i] = AnswerText.WholeNumber(AnswerText.LeadingNumber(Field(fields, "type", 0)));
                rationales[i] = Field(fields, "rationale", 0);
                ratingRationales![i] = Field(fields, "rationale", 1);
            }
            else
            {
                rationales[i] = Field(fields, "rationale", 0);
            }
        }
        return new Output(ratings, rationales, types, ratingRationales);
    }

    /// <summary>
    /// An unreadable answer gives one null per generation in each list the aspect has (the type
    /// lists only for helpfulness and truthfulness), as distilabel writes it.
    /// </summary>
    protected override Output UnreadableOutput(Input input)
    {
        var count = input.Generations.Count;
        return new Output(new int?[count], new string?[count], HasTypes ? new int?[count] : null, HasTypes ? new string?[count] : null);
    }

    // "Label: value" lines, in order; a line without a label continues the value before it.
    private static List<(string Label, string Value)> Fields(string block)
    {
        var fields = new List<(string Label, string Value)>();
        foreach (var line in block.Split('\n'))
        {
            var match = FieldLine().Match(line);
            if (match.Success) fields.Add((match.Groups["label"].Value.ToLowerInvariant(), match.Groups["value"].Value.Trim()));
            else if (fields.Count > 0 && line.Trim().Length > 0) fields[^1] = (fields[^1].Label, (fields[^1].Value + "\n" + line.Trim()).Trim());
        }
        return fields;
    }

    private static string? Field(List<(string Label, string Value)> fields, string label, int occurrence)
    {
        var value = fields.Where(f => f.Label == label).Skip(occurrence).Select(f => f.Value).FirstOrDefault();
        return string.IsNullOrWhiteSpace(value) ? null : value;
    }

    [GeneratedRegex(@"\n\s*\n")]
    private static partial Regex BlankLine();

    [GeneratedRegex(@"(?im)^[\s*_#-]*rating[\s*_]*:")]
    private static partial Regex RatingLine();

    [GeneratedRegex(@"^[\s*_#-]*(?<label>type|rationale|rating)[\s*_]*:[\s*_]*(?<value>.*)$", RegexOptions.IgnoreCase)]
    private static partial Regex FieldLine();
}
