using System.ComponentModel.DataAnnotations;

namespace Distil.Tests.Catalogue;

/// <summary>A task whose output record declares its rules with DataAnnotations.</summary>
[Task("annotated")]
[UserPrompt("Rate: {{ text }}")]
public sealed partial class AnnotatedTask : LlmTask<AnnotatedTask.Input, AnnotatedTask.Output>
{
    public sealed record Input(string Text);

    public sealed record Output(
        [property: Range(1, 5)] int Rating,
        [property: Range(0.0, 1.0), Length(2, 3)] IReadOnlyList<double> Weights,
        [property: AllowedValues("yes", "no")] string Verdict,
        [property: RegularExpression("[A-Z]{3}-[0-9]+"), MaxLength(12)] string Code,
        IReadOnlyList<Part>? Parts = null);

    /// <summary>A record in a list, with a rule of its own.</summary>
    public sealed record Part([property: Range(0, 9)] int Size);
}
