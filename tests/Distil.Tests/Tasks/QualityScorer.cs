namespace Distil.Tests.Tasks;

[Task("quality_scorer")]
[SystemPrompt("You judge how well each response serves the instruction.")]
[UserPrompt(File = "Prompts/quality_scorer.sbn")]
public sealed partial class QualityScorer : LlmTask<QualityScorer.Input, QualityScorer.Output>
{
    [TemplateParameter]
    public string Aspect { get; set; } = "Helpfulness";

    public sealed record Input(string Instruction, IReadOnlyList<string> Responses);

    public sealed record Output(IReadOnlyList<double?> Scores);
}
