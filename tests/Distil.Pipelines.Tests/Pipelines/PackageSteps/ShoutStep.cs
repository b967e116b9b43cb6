using System.Text.Json.Nodes;
using Distil.Pipelines;

namespace Distil.Tests.Pipelines.PackageSteps;

// A step kind as a third-party package writes one: one step class, one fluent extension, one file
// kind. Nothing in Distil knows it; the tests below use it fluently, from a pipeline file, and resumed.

/// <summary>Upper-cases a column into <c>&lt;column&gt;_loud</c>; counts its calls, so a test sees a replay.</summary>
public sealed class ShoutStep(string name, string column, string suffix) : RowStep(name)
{
    public static int Calls;

    public override string Kind => "shout";

    public override IReadOnlyList<string> RequiredColumns => [column];

    public override RowSchema? SchemaAfter(IReadOnlyList<RowSchema?> parents) =>
        parents[0]?.With([new Column(column + "_loud", ColumnType.String)]);

    public override string Settings() => $"{column}|{suffix}";

    protected override IReadOnlyList<JsonObject> Apply(JsonObject row)
    {
        Interlocked.Increment(ref Calls);
        row[column + "_loud"] = ((string?)row[column])?.ToUpperInvariant() + suffix;
        return [row];
    }
}

/// <summary>The fluent face of <see cref="ShoutStep"/>.</summary>
public static class ShoutStepHandleExtensions
{
    /// <summary>Adds <c>&lt;column&gt;_loud</c>: <paramref name="column"/> upper-cased, then <paramref name="suffix"/>.</summary>
    public static StepHandle Shout(this StepHandle step, [ReadsColumn(Type = "string")] string column = "text", string suffix = "!", string? name = null) =>
        step.Then(new ShoutStep(name ?? step.Pipeline.NewStepName("shout"), column, suffix));
}

/// <summary><c>"shout": { "column", "suffix" }</c> in a pipeline file.</summary>
public sealed class ShoutFileKind : PipelineFileStepKind
{
    public override PipelineFileKey Key { get; } = PipelineFileKey.Options("shout", "Upper-cases a column.",
        PipelineFileKey.Text("column", "The column (default text)."),
        PipelineFileKey.Text("suffix", "Put after it (default !)."));

    public override StepHandle Build(PipelineFileStepContext context) =>
        context.Single().Shout(context.Text("column") ?? "text", context.Text("suffix") ?? "!", context.StepName);
}
