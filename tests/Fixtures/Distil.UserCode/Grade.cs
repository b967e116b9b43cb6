using Distil;

namespace Distil.UserCode;

/// <summary>A task of the user's own: grades a cleaned-up text from 1 to 5.</summary>
[Task("grade")]
[SystemPrompt("You grade texts.")]
[UserPrompt("Grade this text from 1 to 5: {{ clean_text }}")]
public sealed partial class Grade : LlmTask<Grade.Input, Grade.Output>
{
    /// <summary>The text to grade.</summary>
    public sealed record Input(string CleanText);

    /// <summary>The grade.</summary>
    public sealed record Output(int Grade);
}
