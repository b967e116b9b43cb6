using Microsoft.Extensions.AI;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace Distil.Printing;

/// <summary>Draws a chat prompt as nested terminal panels: one per message inside one per prompt.</summary>
internal static class PromptPrinter
{
    private static readonly Style Border = new(Color.LightCyan3);

    public static void Print(IAnsiConsole console, string taskTypeName, IReadOnlyList<ChatMessage> messages)
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
