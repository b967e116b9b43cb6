using System.ComponentModel;
using System.ComponentModel.DataAnnotations;

namespace Distil.Samples.Providers;

/// <summary>Rates the sentiment of a sentence, with structured output.</summary>
[Task("sentiment")]
[SystemPrompt("You rate the sentiment of sentences. Answer with JSON only.")]
[UserPrompt("Rate the sentiment of this sentence from 1 (negative) to 5 (positive): {{ sentence }}")]
public sealed partial class Sentiment : LlmTask<Sentiment.Input, Sentiment.Output>
{
    public sealed record Input(string Sentence);

    public sealed record Output(
        [property: Description("1 (negative) to 5 (positive)."), Range(1, 5)] int Score,
        [property: Description("Why, in a few words."), MaxLength(120)] string Reason);
}
