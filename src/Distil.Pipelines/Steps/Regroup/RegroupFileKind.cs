using System.Text.Json;
using System.Text.Json.Nodes;
using Distil.Pipelines;

[assembly: PipelineStepKind(typeof(RegroupFileKind))]

namespace Distil.Pipelines;

/// <summary>
/// <c>"regroup": { item column: list column }</c> in a pipeline file, with <c>"after"</c> naming the
/// fanned-out step, then the items' step, and an optional <c>"over"</c> (<see cref="RegroupStepExtensions.Regroup"/>).
/// </summary>
internal sealed class RegroupFileKind : PipelineFileStepKind
{
    public override PipelineFileKey Key { get; } = PipelineFileKey.Map("regroup",
        "Gathers items back onto their source rows as lists, item column: list column; \"after\" names the fanned-out step, then the items' step.");

    public override IReadOnlyList<PipelineFileKey> OtherKeys { get; } =
        [PipelineFileKey.Text("over", "The fanned-out list column of the source rows: each row gets one slot per item it had (a dropped item is null).")];

    public override StepHandle Build(PipelineFileStepContext context)
    {
        if (context.Parents.Count != 2)
        {
            throw new PipelineException(
                $"step '{context.StepName}' (regroup) takes two steps in \"after\": the step whose rows were fanned out, then the step whose rows hold the items; it has {context.Parents.Count}");
        }
        return context.Parents[1].Regroup(context.Parents[0], Columns(context), Over(context), context.StepName);
    }

    // The kind's own value is the map (not an object of options, which context.Map reads).
    private static Dictionary<string, string> Columns(PipelineFileStepContext context) => context.Step["regroup"] switch
    {
        JsonObject { Count: > 0 } map when map.All(p => p.Value is JsonValue v && v.GetValueKind() == JsonValueKind.String) =>
            map.ToDictionary(p => p.Key, p => p.Value!.GetValue<string>(), StringComparer.Ordinal),
        _ => throw context.Error("\"regroup\" must be a non-empty object of item column: list column"),
    };

    private static string? Over(PipelineFileStepContext context) => context.Step["over"] switch
    {
        null => null,
        JsonValue value when value.GetValueKind() == JsonValueKind.String => value.GetValue<string>(),
        _ => throw context.Error("\"over\" must be a string: the fanned-out list column"),
    };
}
