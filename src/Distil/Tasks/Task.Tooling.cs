using System.Text.Json.Nodes;
using Distil.Printing;
using Microsoft.Extensions.AI;
using Spectre.Console;

namespace Distil;

// Tooling: prompts rendered and answers parsed one row at a time, outside a run (the distil
// command, snapshot tests, Print in a notebook or a console).
public abstract partial class Task<TInput, TOutput>
{
    /// <summary>
    /// The input <see cref="Print"/> shows when given none: text columns read
    /// <c>&lt;PLACEHOLDER_COLUMN&gt;</c>, other values placeholders of their type.
    /// </summary>
    public TInput PlaceholderInput() => CreateSampleInput();

    /// <summary>
    /// Draws the prompt of <paramref name="sample"/> (default: a placeholder input) in the terminal,
    /// one panel per message.
    /// </summary>
    public void Print(TInput? sample = null) => PrintTo(AnsiConsole.Console, sample);

    /// <summary>Draws the prompt of <paramref name="sample"/> on <paramref name="console"/>.</summary>
    public void PrintTo(IAnsiConsole console, TInput? sample = null)
    {
        ArgumentNullException.ThrowIfNull(console);
        PromptPrinter.Print(console, GetType().Name, FormatInput(sample ?? CreateSampleInput()));
    }

    /// <inheritdoc/>
    public override IReadOnlyList<ChatMessage> FormatRow(JsonObject row) => FormatInput(ReadRow(row, -1));

    /// <inheritdoc/>
    public override JsonObject ParseRow(string? text, JsonObject row)
    {
        var columns = new JsonObject();
        var input = ReadRow(row, -1);
        var output = FormatOutput(text, input);
        // As a run: an output that breaks a rule of the row is no output.
        if (output is not null && OutputRuleBroken(output, input) is not null) output = null;
        WriteOutput(output, columns);
        return columns;
    }

    /// <inheritdoc/>
    public override void PrintRow(IAnsiConsole console, JsonObject? row = null)
    {
        ArgumentNullException.ThrowIfNull(console);
        PromptPrinter.Print(console, GetType().Name, row is null ? FormatInput(CreateSampleInput()) : FormatRow(row));
    }

    internal override string DescribePrompt()
    {
        try
        {
            return string.Join("\n", FormatInput(CreateSampleInput()).Select(m => $"[{m.Role}] {m.Text}"));
        }
        catch (Exception error)
        {
            // A prompt that cannot render a placeholder (a check in FormatMessages) is still identified by the task's code.
            return "unrenderable: " + error.GetType().Name;
        }
    }
}
