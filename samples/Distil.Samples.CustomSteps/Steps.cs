using System.ComponentModel.DataAnnotations;
using Distil;

namespace Distil.Samples.CustomSteps;

/// <summary>A support ticket as the source file holds it: the pipeline loads these as typed rows.</summary>
public sealed record Ticket(int Id, string Body);

/// <summary>
/// Your own step: records in and out, one method. The generator writes the rest (the row mapping,
/// the columns, the settings and the signature a resumed run compares), and the build checks that
/// the steps after it read columns it or an earlier step writes.
/// </summary>
[Step("tidy")]
public sealed partial class Tidy : Step<Tidy.Input, Tidy.Output>
{
    /// <summary>The ticket's text.</summary>
    public sealed record Input(string Body);

    /// <summary>The text with its white space squashed, and its length.</summary>
    public sealed record Output(string CleanText, int Length);

    /// <summary>Longer texts are cut: a setting (<c>max_length</c> in a pipeline file), part of the step's signature.</summary>
    public int MaxLength { get; set; } = 200;

    /// <inheritdoc />
    public override Output Process(Input input)
    {
        var text = string.Join(' ', input.Body.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));
        if (text.Length > MaxLength) text = text[..MaxLength];
        return new Output(text, text.Length);
    }
}

/// <summary>Your own task: it reads the column <c>clean_text</c>, which <see cref="Tidy"/> writes.</summary>
[Task("urgency")]
[SystemPrompt("You triage support tickets.")]
[UserPrompt("How urgent is this ticket, from 1 (whenever) to 5 (now)? Answer as JSON.\n\n{{ clean_text }}")]
public sealed partial class Urgency : LlmTask<Urgency.Input, Urgency.Output>
{
    /// <summary>The ticket's tidied text.</summary>
    public sealed record Input(string CleanText);

    /// <summary>The urgency and why.</summary>
    public sealed record Output([property: Range(1, 5)] int Urgency, string Reason);
}
