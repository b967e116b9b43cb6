using Distil;

namespace Distil.Samples.TaskTests;

public enum Sentiment
{
    Negative,
    Neutral,
    Positive,
}

/// <summary>The task under test: label the sentiment of a message, with a short reason.</summary>
[Task("sentiment")]
[SystemPrompt("You label the sentiment of customer messages.")]
[UserPrompt("""
Message from {{ channel }}:
{{ message | string.strip }}

Answer with JSON: {"sentiment": "Negative|Neutral|Positive", "reason": "..."}
""")]
public sealed partial class SentimentTask : LlmTask<SentimentTask.Input, SentimentTask.Output>
{
    public sealed record Input(string Channel, string Message);

    public sealed record Output(Sentiment Sentiment, string Reason);
}
