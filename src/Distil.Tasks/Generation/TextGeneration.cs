using System.ComponentModel;
using System.Text.RegularExpressions;
using Distil.Templates;
using Microsoft.Extensions.AI;

namespace Distil.Tasks;

/// <summary>
/// Answers an instruction: the simplest generation task, with an optional system prompt and an
/// optional template around the instruction.
/// </summary>
/// <remarks>
/// Columns: <c>instruction</c>, optional <c>system_prompt</c> (it wins over
/// <see cref="SystemPrompt"/>) → <c>generation</c>. Parameters: <see cref="SystemPrompt"/>,
/// <see cref="Template"/> (Scriban, rendered at run time with <c>instruction</c>).
/// </remarks>
[Task("text_generation")]
public sealed partial class TextGeneration : Task<TextGeneration.Input, TextGeneration.Output>
{
    private readonly ScribanTemplate _template = new("{{ instruction }}", "text_generation template");

    /// <summary>The instruction and, optionally, a system prompt for this row.</summary>
    public sealed record Input(string Instruction, string? SystemPrompt = null);

    /// <summary>The answer.</summary>
    public sealed record Output([property: Description("The answer to the instruction.")] string? Generation);

    /// <summary>The system prompt of rows that have none of their own (default none).</summary>
    public string? SystemPrompt { get; init; }

    /// <summary>
    /// The user message, as a Scriban template over <c>{{ instruction }}</c> (default: the
    /// instruction alone), e.g. <c>"Answer briefly:\n{{ instruction }}"</c>.
    /// </summary>
    /// <exception cref="ArgumentException">The template does not parse, or does not use <c>instruction</c>.</exception>
    public string Template
    {
        get => _template.Text;
        init
        {
            if (!Regex.IsMatch(value, @"\{\{[^}]*\binstruction\b"))
            {
                throw new ArgumentException("The text_generation template must use {{ instruction }}.", nameof(Template));
            }
            var template = new ScribanTemplate(value, "text_generation template");
            try
            {
                template.Render(("instruction", "")); // parses it now, so that a broken template fails here, not on the first row
            }
            catch (InvalidOperationException error)
            {
                throw new ArgumentException(error.Message, nameof(Template), error);
            }
            _template = template;
        }
    }

    IReadOnlyList<ChatMessage> FormatMessages(Input input)
    {
        var user = new ChatMessage(ChatRole.User, _template.Render(("instruction", input.Instruction)));
        var system = input.SystemPrompt ?? SystemPrompt;
        return system is null ? [user] : [new ChatMessage(ChatRole.System, system), user];
    }

    static Output? ParseOutput(string text, Input input) => string.IsNullOrWhiteSpace(text) ? null : new Output(text.Trim());
}
