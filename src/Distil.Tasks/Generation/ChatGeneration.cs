using System.ComponentModel;
using Distil.Mapping;
using Microsoft.Extensions.AI;

namespace Distil.Tasks;

/// <summary>
/// Answers the last user turn of a conversation: the chat in the row is sent as it is.
/// </summary>
/// <remarks>
/// Columns: <c>messages</c> (a list of <c>{role, content}</c>, roles <c>system</c>, <c>user</c>,
/// <c>assistant</c>, the last one <c>user</c>) → <c>generation</c>, the answer's text.
/// </remarks>
[Task("chat_generation")]
public sealed partial class ChatGeneration : LlmTask<ChatGeneration.Input, ChatGeneration.Output>
{
    private static readonly string[] Roles = ["system", "user", "assistant"];

    /// <summary>One message of the conversation, in OpenAI's chat form.</summary>
    public sealed record Message(string Role, string Content);

    /// <summary>The conversation so far.</summary>
    public sealed record Input(IReadOnlyList<Message> Messages);

    /// <summary>The answer.</summary>
    public sealed record Output([property: Description("The assistant's answer.")] string? Generation);

    /// <summary>A conversation that ends with the user, in known roles.</summary>
    protected override void CheckInput(Input input)
    {
        if (input.Messages.Count == 0) throw new RowValueException("column 'messages' is an empty list; it needs at least one user message");
        for (var i = 0; i < input.Messages.Count; i++)
        {
            if (!Roles.Contains(input.Messages[i].Role))
            {
                throw new RowValueException($"column 'messages'[{i}].role is '{input.Messages[i].Role}'; use system, user or assistant");
            }
        }
        if (input.Messages[^1].Role != "user")
        {
            throw new RowValueException($"the last message of column 'messages' must have role 'user'; it has '{input.Messages[^1].Role}'");
        }
    }

    static IReadOnlyList<ChatMessage> FormatMessages(Input input) =>
        input.Messages.Select(m => new ChatMessage(new ChatRole(m.Role), m.Content)).ToList();

    static Output? ParseOutput(string text, Input input) => string.IsNullOrWhiteSpace(text) ? null : new Output(text.Trim());
}
