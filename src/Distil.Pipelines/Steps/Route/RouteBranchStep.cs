using System.Text.Json.Nodes;

namespace Distil.Pipelines;

/// <summary>
/// One branch of a route: after a step, its branches are tried in the order they were added and a
/// row goes to the first whose condition it passes (an "otherwise" branch takes the rows no branch
/// before it took), so each row goes to one branch at most, and to exactly one when the route ends
/// with an otherwise branch.
/// </summary>
internal sealed class RouteBranchStep(string name, RowCondition? when, IReadOnlyList<RowCondition> earlier) : RowStep(name)
{
    /// <summary>The branch's own condition; null for an otherwise branch.</summary>
    public RowCondition? When { get; } = when;

    /// <summary>The conditions of the branches added before this one after the same step: a row they take is not this branch's.</summary>
    public IReadOnlyList<RowCondition> Earlier { get; } = earlier;

    public override string Kind => "branch";

    public override IReadOnlyList<string> RequiredColumns =>
        [.. Earlier.Append(When).OfType<RowCondition>().SelectMany(c => c.Reads).Distinct(StringComparer.Ordinal)];

    public override RowSchema? SchemaAfter(IReadOnlyList<RowSchema?> parents) => parents[0];

    // The earlier branches are part of it: a branch added before this one changes which rows it takes.
    public override string Settings() =>
        string.Join("|", Earlier.Select(c => "not:" + c.Signature).Append(When is null ? "otherwise" : "when:" + When.Signature));

    /// <summary>Whether the row goes to this branch: no earlier branch takes it, and it passes this one's condition.</summary>
    public bool Takes(JsonObject row) => !Earlier.Any(c => c.Passes(row)) && (When?.Passes(row) ?? true);

    protected override IReadOnlyList<JsonObject> Apply(JsonObject row) => Takes(row) ? [row] : [];
}
