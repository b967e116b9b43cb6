using Distil;
using Distil.UserCode.Helpers;

namespace Distil.UserCode;

/// <summary>
/// A typed step of the user's own, as most users write one: records in and out, the rest written
/// by Distil's generator (row mapping, columns, signature, settings).
/// </summary>
[Step("tidy")]
public sealed partial class Tidy : Step<Tidy.Input, Tidy.Output>
{
    /// <summary>A ticket's text.</summary>
    public sealed record Input(string Body);

    /// <summary>The text with its spaces squashed, and its length.</summary>
    public sealed record Output(string CleanText, int Length);

    /// <summary>Texts longer than this are cut.</summary>
    public int MaxLength { get; set; } = 1000;

    /// <inheritdoc />
    public override Output Process(Input input)
    {
        var text = Text.Squash(input.Body);
        if (text.Length > MaxLength) text = text[..MaxLength];
        return new Output(text, text.Length);
    }
}
