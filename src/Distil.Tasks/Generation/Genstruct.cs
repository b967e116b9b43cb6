using System.ComponentModel;

namespace Distil.Tasks;

/// <summary>
/// Turns a passage into a user question and an assistant answer grounded in it, with a model
/// trained for it (the "Genstruct" format: <c>[[[Title]]]</c>, <c>[[[Content]]]</c>,
/// <c>[[[User]]]</c> and <c>[[[Assistant]]]</c> markers).
/// </summary>
/// <remarks>
/// Columns: <c>title</c>, <c>content</c> → <c>user</c>, <c>assistant</c>. The answer is the user
/// turn, then <c>[[[Assistant]]]</c>, then the assistant turn; without the marker both are null.
/// Meant for Genstruct-style models served without a chat template (a base model's raw prompt).
/// </remarks>
[Task("genstruct")]
[UserPrompt("""
[[[Title]]] {{ title }}
[[[Content]]] {{ content }}

What follows is a conversation between a user and an AI assistant about the text above.

[[[User]]] 
""")]
public sealed partial class Genstruct : LlmTask<Genstruct.Input, Genstruct.Output>
{
    private const string AssistantMarker = "[[[Assistant]]]";

    /// <summary>The passage: its title and its text.</summary>
    public sealed record Input(string Title, string Content);

    /// <summary>The two turns.</summary>
    public sealed record Output(
        [property: Description("The user's question or request.")] string? User,
        [property: Description("The assistant's answer, grounded in the passage.")] string? Assistant);

    static Output? ParseOutput(string text, Input input)
    {
        var marker = text.IndexOf(AssistantMarker, StringComparison.Ordinal);
        if (marker < 0) return null;
        var user = text[..marker].Trim();
        var assistant = text[(marker + AssistantMarker.Length)..].Trim();
        return new Output(user.Length > 0 ? user : null, assistant.Length > 0 ? assistant : null);
    }
}
