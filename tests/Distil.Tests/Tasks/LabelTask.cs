using System.ComponentModel.DataAnnotations;

namespace Distil.Tests.Tasks;

/// <summary>A task whose labels come from each row's own list ([OneOf]).</summary>
[Task("pick_label")]
[UserPrompt("Label this: {{ text }}. Choose from: {{ for label in labels }}{{ label }} {{ end }}")]
public sealed partial class LabelTask : LlmTask<LabelTask.Input, LabelTask.Output>
{
    public sealed record Input(string Text, IReadOnlyList<string> Labels);

    public sealed record Output(
        [property: OneOf(nameof(Input.Labels))] string? Label,
        [property: OneOf(nameof(Input.Labels)), MaxLength(3)] IReadOnlyList<string>? Also);
}
