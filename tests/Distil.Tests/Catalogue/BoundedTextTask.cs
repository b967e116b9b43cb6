using System.ComponentModel.DataAnnotations;

namespace Distil.Tests.Catalogue;

/// <summary>A task whose text outputs are bounded in length: the 200 of the report, a small bound a tiny model reaches, and a range.</summary>
[Task("bounded_text")]
[UserPrompt("Write about {{ topic }}.")]
public sealed partial class BoundedTextTask : LlmTask<BoundedTextTask.Input, BoundedTextTask.Output>
{
    public sealed record Input(string Topic);

    public sealed record Output(
        [property: MaxLength(200)] string Long,
        [property: MaxLength(6)] string Short,
        [property: Length(2, 3)] string Code);

    /// <summary>Why the answer breaks a declared rule, as a run checks it; "unparsed" when it does not parse; null when it keeps them all.</summary>
    public string? BrokenRule(string answer) => FormatOutput(answer, new Input("t")) is { } output ? CheckOutputAnnotations(output) : "unparsed";
}
