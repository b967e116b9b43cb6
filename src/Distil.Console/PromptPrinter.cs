using System.Text.Json.Nodes;
using Microsoft.Extensions.AI;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace Distil;

/// <summary>
/// <c>task.Print(...)</c>: draws the prompt a task would send as nested terminal panels, one per
/// message inside one per prompt. The text comes from <see cref="LlmTask.FormatPrompt"/>; this
/// package only draws it.
/// </summary>
public static class PromptPrinter
{
    private static readonly Style Border = new(Color.LightCyan3);

    /// <summary>
    /// Draws the prompt of <paramref name="input"/> (default: <see cref="LlmTask{TInput, TOutput}.PlaceholderInput"/>)
    /// on <paramref name="console"/> (default: the terminal), one panel per message.
    /// </summary>
    public static void Print<TInput, TOutput>(this LlmTask<TInput, TOutput> task, TInput? input = null, IAnsiConsole? console = null)
        where TInput : class
        where TOutput : class
    {
        ArgumentNullException.ThrowIfNull(task);
        Draw(console ?? AnsiConsole.Console, task.GetType().Name, task.FormatInput(input ?? task.PlaceholderInput()));
    }

    /// <summary>
    /// Draws the prompt the task would send for <paramref name="row"/> (null: a placeholder input)
    /// on <paramref name="console"/> (default: the terminal), one panel per message. A typed task
    /// also has <c>Print(input)</c>, which takes its input record.
    /// </summary>
    /// <exception cref="RowValueException">The row lacks a column or holds a value of the wrong shape.</exception>
    public static void Print(this LlmTask task, JsonObject? row, IAnsiConsole? console = null)
    {
        ArgumentNullException.ThrowIfNull(task);
        Draw(console ?? AnsiConsole.Console, task.GetType().Name, task.FormatPrompt(row));
    }

    private static void Draw(IAnsiConsole console, string taskTypeName, IReadOnlyList<ChatMessage> messages)
    {
        var panels = new List<IRenderable>(messages.Count);
        // A task whose first call has no messages (Magpie without a system prompt) still gets a frame.
        if (messages.Count == 0) panels.Add(new Text("(no messages)"));
        foreach (var message in messages)
        {
            // Text, not Markup: prompt text is shown as written, brackets included.
            panels.Add(new Panel(new Text(message.Text))
            {
                Header = new PanelHeader($"[bold magenta]{Markup.Escape(RoleTitle(message.Role))} Message[/]"),
                BorderStyle = Border,
                Expand = true,
            });
        }

        console.Write(new Panel(new Rows(panels))
        {
            Header = new PanelHeader($"[bold magenta]Prompt: {Markup.Escape(taskTypeName)}[/]"),
            BorderStyle = Border,
            Expand = false,
        });
    }

    private static string RoleTitle(ChatRole role) =>
        role.Value.Length == 0 ? role.Value : char.ToUpperInvariant(role.Value[0]) + role.Value.Substring(1);
}
