using System.ComponentModel;
using Distil.Mapping;

namespace Distil.Tasks;

/// <summary>
/// Makes a base (not instruction-tuned) model answer like an assistant, with a few-shot prompt of
/// <c># User:</c> / <c># Assistant:</c> turns (the "URIAL" in-context alignment recipe).
/// </summary>
/// <remarks>
/// Columns: <c>instruction</c> or <c>conversation</c> (a list of <c>{role, content}</c> ending with
/// a user turn) → <c>generation</c>. The answer is cut at the next <c># User</c>. Send it to a base
/// model without a chat template (an <c>endpoint:</c> server's completion-style model, or a local
/// base GGUF), since the prompt is its own format.
/// </remarks>
[Task("urial")]
[UserPrompt("""
# Instruction

Below are conversations between a curious user and an AI assistant. The assistant gives helpful,
accurate, detailed and polite answers, says when it does not know, and declines harmful requests.

# User:
What is the boiling point of water at sea level?

# Assistant:
At sea level, water boils at 100 °C (212 °F). At higher altitudes the air pressure is lower, so it boils at a lower temperature.

# User:
Can you give me a word that rhymes with "orange"?

# Assistant:
English has no perfect rhyme for "orange". Near rhymes include "door hinge" and "Blorenge", a hill in Wales.

{{ if instruction }}# User:
{{ instruction }}

{{ else }}{{ for turn in conversation }}{{ if turn.role == "user" }}# User:{{ else }}# Assistant:{{ end }}
{{ turn.content }}

{{ end }}{{ end }}# Assistant:

""")]
public sealed partial class Urial : LlmTask<Urial.Input, Urial.Output>
{
    /// <summary>One turn of a conversation.</summary>
    public sealed record Turn(string Role, string Content);

    /// <summary>An instruction, or a conversation whose last turn is the user's.</summary>
    public sealed record Input(string? Instruction = null, IReadOnlyList<Turn>? Conversation = null);

    /// <summary>The assistant's answer.</summary>
    public sealed record Output([property: Description("The assistant's answer.")] string? Generation);

    /// <summary>Exactly one of the two columns (the other absent or null), and a conversation must end with the user.</summary>
    protected override void CheckInput(Input input)
    {
        if ((input.Instruction is null) == (input.Conversation is null))
        {
            throw new RowValueException("give either column 'instruction' or column 'conversation' (a list of {role, content}), not both or neither");
        }
        if (input.Instruction is { } instruction && string.IsNullOrWhiteSpace(instruction))
        {
            throw new RowValueException("column 'instruction' is empty");
        }
        if (input.Conversation is { } conversation && (conversation.Count == 0 || conversation[^1].Role != "user"))
        {
            throw new RowValueException(conversation.Count == 0
                ? "column 'conversation' is an empty list; it needs at least one user turn"
                : $"the last turn of column 'conversation' must have role 'user'; it has '{conversation[^1].Role}'");
        }
    }

    static Output? ParseOutput(string text, Input input)
    {
        var end = text.IndexOf("# User", StringComparison.Ordinal);
        var answer = (end >= 0 ? text[..end] : text).Trim();
        return answer.Length > 0 ? new Output(answer) : null;
    }
}
