using Distil;

namespace Distil.Benchmarks;

/// <summary>A scoring task of the UltraFeedback kind: one instruction, three responses, three ratings.</summary>
[Task("three_response_scorer")]
[SystemPrompt("You are a fair and consistent judge of answers.")]
[UserPrompt(File = "Prompts/three_response_scorer.sbn")]
public sealed partial class ThreeResponseScorer : LlmTask<ThreeResponseScorer.Input, ThreeResponseScorer.Output>
{
    [TemplateParameter]
    public string Aspect { get; set; } = "helpfulness";

    public sealed record Input(string Instruction, IReadOnlyList<string> Responses);

    public sealed record Output(IReadOnlyList<int> Ratings, string Rationale);
}
