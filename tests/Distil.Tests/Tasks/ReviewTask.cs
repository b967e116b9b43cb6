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
public sealed partial class ReviewTask : Task<ReviewTask.Input, ReviewTask.Output>
{
    public sealed record Input(string Code, string? Language, bool Strict, bool Lenient);

    public sealed record Output(
        Verdict Verdict,
        IReadOnlyList<Finding> Findings,
        Finding? Worst,
        double Confidence,
        string? Notes);
}
