using System.ComponentModel;

namespace Distil.Quickstart;

/// <summary>Summarises a product review and rates its sentiment.</summary>
[Task("review_summary")]
[SystemPrompt("You are a careful analyst of customer feedback.")]
[UserPrompt(File = "Prompts/review_summary.sbn")]
public sealed partial class ReviewSummary : Task<ReviewSummary.Input, ReviewSummary.Output>
{
    public sealed record Input(string Product, string Review, int MaxWords, IReadOnlyList<string> Tags);

    public sealed record Output(
        [property: Description("The review in a few words.")] string Summary,
        [property: Description("1 (angry) to 5 (delighted).")] int Sentiment);
}
