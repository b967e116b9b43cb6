using System.ComponentModel;
using Distil.Tasks.Parsing;

namespace Distil.Tasks;

/// <summary>
/// Writes new user queries for an AI application from a seed text (the "Self-Instruct" recipe).
/// </summary>
/// <remarks>
/// Columns: <c>input</c> → <c>instructions</c>. Parameters: <see cref="NumInstructions"/>,
/// <see cref="Criteria"/> and <see cref="ApplicationDescription"/>. The model answers one query
/// per line; blank lines and list markers (<c>1.</c>, <c>-</c>) are dropped, and an answer without a line is unreadable.
/// </remarks>
[Task("self_instruct")]
[UserPrompt("""
You write the queries that users would send to this AI application: {{ application_description }}.

Write {{ num_instructions }} different queries a user might ask about the text below. {{ criteria }}

Text:
{{ input }}

Write one query per line, with no numbering and nothing else.
""")]
public sealed partial class SelfInstruct : LlmTask<SelfInstruct.Input, SelfInstruct.Output>
{
    private int _numInstructions = 5;

    /// <summary>The seed text the queries are about.</summary>
    public sealed record Input([property: Column("input")] string Text);

    /// <summary>The queries, one per line of the answer.</summary>
    public sealed record Output([property: Description("The new queries, one per item.")] IReadOnlyList<string> Instructions);

    /// <summary>How many queries to ask for (default 5).</summary>
    [TemplateParameter]
    public int NumInstructions
    {
        get => _numInstructions;
        init => _numInstructions = value >= 1
            ? value
            : throw new ArgumentOutOfRangeException(nameof(NumInstructions), value, "NumInstructions must be 1 or more.");
    }

    /// <summary>What makes a good query (default: varied in form and verb, each answerable on its own).</summary>
    [TemplateParameter]
    public string Criteria { get; init; } =
        "Vary their form (questions, requests, tasks) and their verbs; each must make sense on its own, without the text at hand.";

    /// <summary>The application the queries are for (default: a general AI assistant).</summary>
    [TemplateParameter]
    public string ApplicationDescription { get; init; } = "a general AI assistant that answers questions and carries out tasks";

    // Rule: an answer without a single line has nothing readable (distilabel would keep an empty list).
    static Output? ParseOutput(string text, Input input) => AnswerText.Lines(text) is { Count: > 0 } lines ? new(lines) : null;
}
