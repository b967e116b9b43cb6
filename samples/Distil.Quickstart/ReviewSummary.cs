using System.ComponentModel;
using System.ComponentModel.DataAnnotations;

namespace Distil.Quickstart;

/// <summary>Summarises a product review and rates its sentiment.</summary>
[Task("review_summary")]
[SystemPrompt("You are a careful analyst of customer feedback.")]
[UserPrompt(File = "Prompts/review_summary.sbn")]
public sealed partial class ReviewSummary : LlmTask<ReviewSummary.Input, ReviewSummary.Output>
{
    public sealed record Input(string Product, string Review, int MaxWords, IReadOnlyList<string> Tags);

    public sealed record Output(
        // MaxLength bounds the local model's grammar, so that even a tiny model finishes its JSON.
        [property: Description("The review in a few words."), MaxLength(80)] string Summary,
        [property: Description("1 (angry) to 5 (delighted)."), Range(1, 5)] int Sentiment);
}
