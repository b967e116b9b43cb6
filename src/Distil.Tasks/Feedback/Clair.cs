using System.ComponentModel;

namespace Distil.Tasks;

/// <summary>
/// Revises a student's answer as little as needed to make it correct and better (the "CLAIR"
/// recipe: contrastive pairs of a solution and its minimal revision, for preference tuning).
/// </summary>
/// <remarks>
/// Columns: <c>task</c>, <c>student_solution</c> → <c>revision</c>, <c>rational</c>. The answer
/// has a <c>{teacher_reasoning}</c> section (→ <c>rational</c>) and a
/// <c>{corrected_student_solution}</c> section (→ <c>revision</c>); without the second, both are
/// null.
/// </remarks>
[Task("clair")]
[SystemPrompt("You are a teacher who improves students' answers with the smallest changes that make them correct, clear and helpful.")]
[UserPrompt("""
Here is a task and a student's answer to it.

Task:
{{ task }}

Student's answer:
{{ student_solution }}

Revise the student's answer. Keep what is right and the student's own wording where you can;
fix what is wrong, missing or unclear. Do not write a new answer from scratch.

Answer in exactly two sections, marked as shown:
{teacher_reasoning}
<what needs to change in the student's answer, and why>
{corrected_student_solution}
<the revised answer, in full>
""")]
public sealed partial class Clair : LlmTask<Clair.Input, Clair.Output>
{
    private const string ReasoningMarker = "{teacher_reasoning}";
    private const string SolutionMarker = "{corrected_student_solution}";

    /// <summary>The task and the student's answer to it.</summary>
    public sealed record Input([property: Column("task")] string TaskText, string StudentSolution);

    /// <summary>The revised answer, and the teacher's reasoning (the column keeps its ecosystem name, <c>rational</c>).</summary>
    public sealed record Output(
        [property: Description("The student's answer, revised.")] string? Revision,
        [property: Column("rational"), Description("What changed and why.")] string? Rational);

    static Output? ParseOutput(string text, Input input)
    {
        var solution = text.IndexOf(SolutionMarker, StringComparison.OrdinalIgnoreCase);
        if (solution < 0) return null;
        var revision = text[(solution + SolutionMarker.Length)..].Trim();
        var reasoning = text.IndexOf(ReasoningMarker, StringComparison.OrdinalIgnoreCase);
        var rational = reasoning >= 0 && reasoning < solution
            ? text[(reasoning + ReasoningMarker.Length)..solution].Trim()
            : "";
        return new Output(revision.Length > 0 ? revision : null, rational.Length > 0 ? rational : null);
    }
}
