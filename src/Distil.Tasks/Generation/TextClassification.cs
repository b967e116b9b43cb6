using System.ComponentModel;

namespace Distil.Tasks;

/// <summary>
/// Labels a text: by a list of labels you give, or by labels the model chooses. Always answers in
/// structured JSON.
/// </summary>
/// <remarks>
/// Columns: <c>text</c> → <c>labels</c> (a list, with up to <see cref="NumLabels"/> items).
/// Parameters: <see cref="NumLabels"/>, <see cref="AvailableLabels"/>, <see cref="DefaultLabel"/>,
/// <see cref="Context"/>, <see cref="Examples"/>. Structured output is on from the start
/// (<c>UseDefaultStructuredOutput</c>); the answer is <c>{"labels": [...]}</c>.
/// </remarks>
[Task("text_classification")]
[SystemPrompt("You classify texts precisely and consistently. You answer with JSON only.")]
[UserPrompt("""
{{ if context != "" }}{{ context }}

{{ end }}Classify the text below{{ if num_labels == 1 }} with exactly one label{{ else }} with up to {{ num_labels }} labels{{ end }}.
{{ if available_labels.size > 0 }}Use only these labels: {{ array.join available_labels ", " }}. If none fits, answer "{{ default_label }}".
{{ else }}Choose short, descriptive labels. If you cannot tell, answer "{{ default_label }}".
{{ end }}{{ if examples.size > 0 }}
Examples of labelled texts:
{{ for example in examples }}- {{ example }}
{{ end }}{{ end }}
Text:
{{ text }}

Answer with JSON of this form and nothing else: {"labels": ["<label>"]}
""")]
public sealed partial class TextClassification : LlmTask<TextClassification.Input, TextClassification.Output>
{
    private readonly int _numLabels = 1;

    /// <summary>Structured output is on: the answer is always JSON.</summary>
    public TextClassification() => UseDefaultStructuredOutput = true;

    /// <summary>The text to classify.</summary>
    public sealed record Input(string Text);

    /// <summary>The labels given.</summary>
    public sealed record Output([property: Description("The labels of the text.")] IReadOnlyList<string> Labels);

    /// <summary>How many labels to give at most (default 1).</summary>
    [TemplateParameter]
    public int NumLabels
    {
        get => _numLabels;
        init => _numLabels = value >= 1 ? value : throw new ArgumentOutOfRangeException(nameof(NumLabels), value, "NumLabels must be 1 or more.");
    }

    /// <summary>The labels to choose from (default none: the model names its own).</summary>
    [TemplateParameter]
    public IReadOnlyList<string> AvailableLabels { get; init; } = [];

    /// <summary>The label for a text no label fits (default <c>Unclassified</c>).</summary>
    [TemplateParameter]
    public string DefaultLabel { get; init; } = "Unclassified";

    /// <summary>What the texts are and what the labels are for (default none).</summary>
    [TemplateParameter]
    public string Context { get; init; } = "";

    /// <summary>Labelled examples, one line each, e.g. <c>"The food was cold." → complaint</c> (default none).</summary>
    [TemplateParameter]
    public IReadOnlyList<string> Examples { get; init; } = [];

    /// <inheritdoc/>
    // Rule: at most NumLabels labels, each one of AvailableLabels (or DefaultLabel) when they are given.
    protected override string? CheckOutput(Output output, Input input)
    {
        if (output.Labels.Count > NumLabels) return $"'labels' has {output.Labels.Count} items for at most {NumLabels}";
        if (AvailableLabels.Count == 0) return null;
        var unknown = output.Labels.FirstOrDefault(l => l != DefaultLabel && !AvailableLabels.Contains(l));
        return unknown is null ? null : $"'labels' holds '{unknown}', which is not one of {string.Join(", ", AvailableLabels)} (nor '{DefaultLabel}')";
    }
}
