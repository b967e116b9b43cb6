using System.ComponentModel;
using System.Text.Json;
using System.Text.Json.Nodes;
using Distil.Mapping;
using Distil.Templates;
using Microsoft.Extensions.AI;
using Scriban.Runtime;

namespace Distil.Tasks;

/// <summary>
/// Answers an instruction: the simplest generation task, with an optional system prompt and an
/// optional template that decides which columns make the user message.
/// </summary>
/// <remarks>
/// Columns: those the <see cref="Template"/> uses (default <c>instruction</c>), optional
/// <c>system_prompt</c> (it wins over <see cref="SystemPrompt"/>) → <c>generation</c>.
/// Parameters: <see cref="SystemPrompt"/>, <see cref="Template"/> (Scriban, rendered at run time
/// over the row's columns).
/// </remarks>
[Task("text_generation")]
public sealed partial class TextGeneration : LlmTask<TextGeneration.Input, TextGeneration.Output>
{
    private const string DefaultTemplate = "{{ instruction }}";
    private readonly ScribanTemplate _template = new(DefaultTemplate, "text_generation template");
    private readonly IReadOnlyList<string> _columns = ["instruction"];

    /// <summary>The instruction and, optionally, a system prompt for this row.</summary>
    public sealed record Input(string? Instruction = null, string? SystemPrompt = null)
    {
        /// <summary>The values of the columns a custom template uses, read from the row.</summary>
        internal JsonObject? TemplateColumns { get; init; }
    }

    /// <summary>The answer.</summary>
    public sealed record Output([property: Description("The answer to the instruction.")] string? Generation);

    /// <summary>The system prompt of rows that have none of their own (default none).</summary>
    public string? SystemPrompt { get; init; }

    /// <summary>
    /// The user message, as a Scriban template over the row's columns (default
    /// <c>{{ instruction }}</c>), e.g. <c>"Summarise {{ title }}:\n{{ body }}"</c>. The columns it
    /// uses are the ones the task reads, and every row must have them.
    /// </summary>
    /// <exception cref="ArgumentException">The template does not parse, or uses no column.</exception>
    public string Template
    {
        get => _template.Text;
        init
        {
            var template = new ScribanTemplate(value, "text_generation template");
            IReadOnlyList<string> columns;
            try
            {
                columns = template.Variables; // parses it now, so that a broken template fails here, not on the first row
            }
            catch (InvalidOperationException error)
            {
                throw new ArgumentException(error.Message, nameof(Template), error);
            }
            if (columns.Count == 0)
            {
                throw new ArgumentException("The text_generation template must use at least one column, e.g. {{ instruction }}.", nameof(Template));
            }
            _template = template;
            _columns = columns;
        }
    }

    /// <summary>The columns the template uses, then the optional <c>system_prompt</c>.</summary>
    public override IReadOnlyList<string> Inputs => [.. _columns.Where(c => c != "system_prompt"), "system_prompt"];

    /// <summary>The columns the template uses: every row must have them.</summary>
    public override IReadOnlyList<string> RequiredInputs => _columns;

    /// <summary>Reads the columns the template uses, all required.</summary>
    protected override Input ReadRowInput(JsonObject row)
    {
        var input = ReadInput(row);
        var columns = new JsonObject();
        foreach (var column in _columns)
        {
            if (!row.TryGetPropertyValue(column, out var value))
            {
                throw new RowValueException($"column '{column}' is missing; the template uses it");
            }
            columns[column] = value?.DeepClone();
        }
        return input with { TemplateColumns = columns };
    }

    IReadOnlyList<ChatMessage> FormatMessages(Input input)
    {
        var variables = _columns.Select(column => (column, Value(input, column))).ToArray();
        var user = new ChatMessage(ChatRole.User, _template.Render(variables));
        var system = input.SystemPrompt ?? SystemPrompt;
        return system is null ? [user] : [new ChatMessage(ChatRole.System, system), user];
    }

    static Output? ParseOutput(string text, Input input) => string.IsNullOrWhiteSpace(text) ? null : new Output(text.Trim());

    // A column read from the row; else, for input records built in code, the record's own fields.
    private static object? Value(Input input, string column) =>
        input.TemplateColumns is { } columns && columns.TryGetPropertyValue(column, out var value) ? ScribanValue(value)
        : column == "instruction" ? input.Instruction
        : column == "system_prompt" ? input.SystemPrompt
        : null;

    // What Scriban reads naturally: strings, numbers, booleans, lists and objects of them.
    private static object? ScribanValue(JsonNode? node) => node switch
    {
        null => null,
        JsonArray list => list.Select(ScribanValue).ToList(),
        JsonObject obj => ToScriptObject(obj),
        _ => node.GetValueKind() switch
        {
            JsonValueKind.String => node.GetValue<string>(),
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            // A value built in code holds an int, a decimal... and converts to no other CLR type: read its JSON text.
            JsonValueKind.Number => Number(node.ToJsonString()),
            _ => node.ToJsonString(),
        },
    };

    private static object Number(string json) =>
        long.TryParse(json, System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out var whole)
            ? whole
            : double.Parse(json, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture);

    private static ScriptObject ToScriptObject(JsonObject obj)
    {
        var result = new ScriptObject();
        foreach (var (key, value) in obj) result.SetValue(key, ScribanValue(value), readOnly: true);
        return result;
    }
}
