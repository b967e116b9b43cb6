namespace Distil.Tests.Pipelines;

/// <summary>A task whose output column's name is markup, for the run report's escaping tests.</summary>
[Task("hostile_column")]
[UserPrompt("{{ text }}")]
public sealed partial class HostileColumnTask : LlmTask<HostileColumnTask.Input, HostileColumnTask.Output>
{
    /// <summary>The output column's name: markup, quotes, an ampersand and non-ASCII letters.</summary>
    public const string ColumnName = "label</script><img src=x onerror=\"alert('column')\">&amp;\"ü";

    public sealed record Input(string Text);

    public sealed record Output([property: Column(ColumnName)] string Label);
}
