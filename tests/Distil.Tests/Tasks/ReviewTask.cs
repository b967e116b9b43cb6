using System.ComponentModel;

namespace Distil.Tests.Tasks;

public enum Verdict
{
    Accept,
    Revise,
    Reject,
}

[Description("One reviewer's judgement.")]
public sealed record Finding(string Issue, [property: Column("line-number")] int? Line);

/// <summary>Nested records, enums, nullable values and [Column] in the output.</summary>
[Task("code_review")]
[UserPrompt("""
{{ if language == "csharp" }}Review this C# code{{ else if language }}Review this {{ language | string.upcase }} code{{ else }}Review this code{{ end }}:
{{ code }}
{{ if strict && !lenient }}Be strict.{{ end }}
""")]
public sealed partial class ReviewTask : LlmTask<ReviewTask.Input, ReviewTask.Output>
{
    public sealed record Input(string Code, string? Language, bool Strict, bool Lenient);

    public sealed record Output(
        Verdict Verdict,
        IReadOnlyList<Finding> Findings,
        Finding? Worst,
        double Confidence,
        string? Notes);
}

/// <summary>Null-conditional member access, and template parameters that are lists and records.</summary>
[Task("guided_review")]
[UserPrompt("""
{{ if style.strict }}Be strict.{{ end }} Worst so far: {{ worst?.issue }} (line {{ worst?.line }})
{{ for rule in rules }}{{ for.index + 1 }}. {{ rule }}
{{ end }}{{ code }} at {{ ratio }} with {{ rules | array.size }} rules
""")]
public sealed partial class GuidedReview : LlmTask<GuidedReview.Input, GuidedReview.Output>
{
    [TemplateParameter]
    public IReadOnlyList<string> Rules { get; set; } = ["Name things well", "Keep functions short"];

    [TemplateParameter]
    public ReviewStyle Style { get; set; } = new(true, "formal");

    public sealed record Input(string Code, Finding? Worst, float Ratio);

    public sealed record Output(float Score, short Severity, IReadOnlyList<IReadOnlyList<int>> Groups);
}

public sealed record ReviewStyle(bool Strict, string Tone);
