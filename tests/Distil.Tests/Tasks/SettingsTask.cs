using System.ComponentModel;

namespace Distil.Tests.Tasks;

public enum Tone { Plain, Warm }

/// <summary>A task with settings of every kind a value can be read into, and one it cannot.</summary>
[Task("settings")]
[UserPrompt("{{ html_body }} {{ text }}")]
public sealed partial class SettingsTask : LlmTask<SettingsTask.Input, SettingsTask.Output>
{
    public sealed record Input(string Text);

    public sealed record Output(string Answer);

    [TemplateParameter, Description("The page around the text.")]
    public string HTMLBody { get; set; } = "<p>";

    public Tone Tone { get; init; }

    public double? Threshold { get; set; }

    public IReadOnlyList<string> Labels { get; init; } = [];

    public IReadOnlyDictionary<string, string> Aliases { get; init; } = new Dictionary<string, string>();

    /// <summary>Not readable from JSON: listed, hashed, not settable by name.</summary>
    public Uri? Endpoint { get; set; }
}
