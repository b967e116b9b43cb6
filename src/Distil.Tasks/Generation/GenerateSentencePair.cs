using System.ComponentModel;
using System.Text.RegularExpressions;

namespace Distil.Tasks;

/// <summary>
/// Writes a sentence related to an anchor sentence (and, for triplets, an unrelated-but-close
/// one), to train or evaluate embedding models.
/// </summary>
/// <remarks>
/// Columns: <c>anchor</c> → <c>positive</c>, <c>negative</c> (null unless <see cref="Triplet"/>).
/// Parameters: <see cref="Action"/> (<c>paraphrase</c>, <c>semantically-similar</c>,
/// <c>query</c>, <c>answer</c>), <see cref="Triplet"/>, <see cref="Context"/>. The answer has a
/// <c>## Positive</c> section and, for triplets, a <c>## Negative</c> section.
/// </remarks>
[Task("generate_sentence_pair")]
[SystemPrompt("""
You write sentences for training text-embedding models. {{ if action == "paraphrase" }}Given a sentence, write a paraphrase of it: the same meaning in other words.{{ else if action == "semantically-similar" }}Given a sentence, write a different sentence about the same topic with a closely related meaning.{{ else if action == "query" }}Given a passage, write a search query that this passage answers well.{{ else }}Given a query, write a passage that answers it well.{{ end }}{{ if triplet }} Then write a negative: a sentence that looks close to it (shared words or topic) but does not match it.{{ end }}{{ if context != "" }}

Context about the data: {{ context }}{{ end }}

Answer in this form and nothing else:
## Positive
<the sentence>{{ if triplet }}
## Negative
<the sentence>{{ end }}
""")]
[UserPrompt("{{ anchor }}")]
public sealed partial class GenerateSentencePair : LlmTask<GenerateSentencePair.Input, GenerateSentencePair.Output>
{
    /// <summary>The actions the task knows.</summary>
    public static IReadOnlyList<string> Actions { get; } = ["paraphrase", "semantically-similar", "query", "answer"];

    private readonly string _action = "paraphrase";

    /// <summary>The sentence to start from.</summary>
    public sealed record Input(string Anchor);

    /// <summary>The related sentence and, for triplets, the near miss.</summary>
    public sealed record Output(
        [property: Description("The sentence that matches the anchor.")] string? Positive,
        [property: Description("A sentence close to the anchor that does not match it; null unless a triplet was asked for.")] string? Negative);

    /// <summary>What the positive is to the anchor: <c>paraphrase</c> (default), <c>semantically-similar</c>, <c>query</c> or <c>answer</c>.</summary>
    /// <exception cref="ArgumentException">The action is not one of <see cref="Actions"/>.</exception>
    [TemplateParameter]
    public string Action
    {
        get => _action;
        init => _action = Actions.Contains(value)
            ? value
            : throw new ArgumentException($"Unknown action '{value}' for generate_sentence_pair; use one of: {string.Join(", ", Actions)}.", nameof(Action));
    }

    /// <summary>Also write a negative (default false).</summary>
    [TemplateParameter]
    public bool Triplet { get; init; }

    /// <summary>What the data is about, to steer the sentences (default none).</summary>
    [TemplateParameter]
    public string Context { get; init; } = "";

    static Output? ParseOutput(string text, Input input)
    {
        var positive = Section(text, "positive");
        return positive is null ? null : new Output(positive, Section(text, "negative"));
    }

    // The text under "## <name>" (any case, any number of '#'), up to the next heading.
    private static string? Section(string text, string name)
    {
        var match = Regex.Match(text, $@"(?ims)^\s*#+\s*{name}\s*:?\s*$(?<body>.*?)(?=^\s*#+\s*\w|\z)");
        var body = match.Success ? match.Groups["body"].Value.Trim() : "";
        return body.Length > 0 ? body : null;
    }
}
