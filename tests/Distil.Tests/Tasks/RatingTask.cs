using System.Text.RegularExpressions;

namespace Distil.Tests.Tasks;

/// <summary>A task that parses its answer itself instead of as JSON.</summary>
[Task("rating")]
[UserPrompt("Rate this text from 1 to 5, answering 'Rating: N'.\n{{ text }}")]
public sealed partial class RatingTask : LlmTask<RatingTask.Input, RatingTask.Output>
{
    public sealed record Input(string Text);

    public sealed record Output(int Rating);

    static Output? ParseOutput(string text, Input input)
    {
        var match = Regex.Match(text, @"Rating:\s*(\d)");
        return match.Success ? new Output(int.Parse(match.Groups[1].Value)) : throw new FormatException("no rating");
    }
}
