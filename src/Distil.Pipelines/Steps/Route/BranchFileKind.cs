using System.Text.Json.Nodes;
using Distil.Pipelines;

[assembly: PipelineStepKind(typeof(BranchFileKind))]

namespace Distil.Pipelines;

/// <summary>
/// <c>"branch": { "when": { "column": ..., "equals": ... } }</c> or <c>"branch": { "otherwise": true }</c>
/// in a pipeline file: the branches after one step, in file order, route each row to the first
/// that takes it (see <see cref="RouteStepHandleExtensions.Branch"/>).
/// </summary>
internal sealed class BranchFileKind : PipelineFileStepKind
{
    public override PipelineFileKey Key { get; } = PipelineFileKey.Options("branch",
        "A branch of the rows of the step before it: the first branch after that step (in file order) whose condition a row passes takes it.",
        RowCondition.FileKey("when", "The branch's condition: column plus one operator."),
        PipelineFileKey.Flag("otherwise", "true: the rows no branch before this one took (the last branch)."));

    public override StepHandle Build(PipelineFileStepContext context)
    {
        var otherwise = context.Flag("otherwise") ?? false;
        var when = context.Options?["when"];
        if (otherwise == (when is not null)) throw context.Error("\"branch\" needs exactly one of \"when\" (a condition) or \"otherwise\": true");
        if (otherwise) return context.Single().Otherwise(context.StepName);
        if (when is not JsonObject condition) throw context.Error("\"when\" must be an object: {\"column\": ..., \"equals\": ...}");
        return context.Single().Branch(Condition(context, condition), context.StepName);
    }

    /// <summary>A condition of the file, its problems said as the step's.</summary>
    internal static RowCondition Condition(PipelineFileStepContext context, JsonObject json)
    {
        try
        {
            return RowCondition.FromJson(json);
        }
        catch (ArgumentException error)
        {
            throw context.Error("\"when\": " + error.Message);
        }
    }
}
