using System.Text.Json.Nodes;
using Microsoft.Extensions.AI;

namespace Distil;

// Tooling: prompts rendered and answers parsed one row at a time, outside a run (the distil
// command, snapshot tests, and Print of Distil.Console in a notebook or a console).
public abstract partial class LlmTask<TInput, TOutput>
{
    /// <inheritdoc/>
    public override IReadOnlyList<ChatMessage> FormatRow(JsonObject row) => FormatInput(ReadRow(row, -1));

    /// <inheritdoc/>
    public override JsonObject ParseRow(string? text, JsonObject row)
    {
        var columns = new JsonObject();
        var input = ReadRow(row, -1);
        var output = FormatOutput(text, input);
        // As a run: an answer with nothing readable, or one that breaks a rule of the row, is no output, in the task's shape.
        if (Judge(output, input).Fit != AnswerFit.Fits) output = null;
        WriteOutput(output ?? UnreadableOutput(input), columns);
        return columns;
    }

    /// <inheritdoc/>
    public override IReadOnlyList<ChatMessage> FormatPrompt(JsonObject? row) => row is null ? FormatInput(PlaceholderInput()) : FormatRow(row);

    internal override IReadOnlyList<ChatMessage> PlaceholderPrompt()
    {
        try
        {
            return FormatInput(PlaceholderInput());
        }
        catch (Exception error) when (error is not OutOfMemoryException)
        {
            // A prompt that cannot render a placeholder (a check in FormatMessages) is shown as none.
            return [];
        }
    }

    internal override string DescribePrompt()
    {
        try
        {
            return string.Join("\n", FormatInput(PlaceholderInput()).Select(m => $"[{m.Role}] {m.Text}"));
        }
        catch (Exception error)
        {
            // A prompt that cannot render a placeholder (a check in FormatMessages) is still identified by the task's code.
            return "unrenderable: " + error.GetType().Name;
        }
    }
}
