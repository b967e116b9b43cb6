using Distil.Pipelines;
using System.Text.Json.Nodes;

namespace Distil.View;

/// <summary>What a row's task metadata says went wrong (or was done again) for it: the view's status filters.</summary>
[Flags]
internal enum RowFlags
{
    /// <summary>Nothing to note.</summary>
    None = 0,

    /// <summary>An LLM call failed after its retries (<c>error_&lt;task&gt;</c>).</summary>
    Failed = 1,

    /// <summary>An answer could not be read (<c>output_error_&lt;task&gt;</c> saying so).</summary>
    Unreadable = 2,

    /// <summary>An answer was asked for again (<c>reasks_&lt;task&gt;</c> above zero).</summary>
    Reasked = 4,

    /// <summary>An answer broke a rule of its row (<c>output_error_&lt;task&gt;</c> naming the rule).</summary>
    RuleBroken = 8,

    /// <summary>A tool loop ran (<c>tool_trajectory_&lt;task&gt;</c>).</summary>
    ToolCalls = 16,
}

/// <summary>Reads <see cref="RowFlags"/> from a row's metadata column(s).</summary>
internal static class RowFlagReader
{
    /// <summary>The names the page and the API use for each flag.</summary>
    public static readonly IReadOnlyDictionary<string, RowFlags> Names = new Dictionary<string, RowFlags>(StringComparer.OrdinalIgnoreCase)
    {
        ["failed"] = RowFlags.Failed,
        ["unreadable"] = RowFlags.Unreadable,
        ["reasked"] = RowFlags.Reasked,
        ["rule-broken"] = RowFlags.RuleBroken,
        ["tools"] = RowFlags.ToolCalls,
    };

    /// <summary>The flags of <paramref name="row"/>, from every metadata object under <paramref name="metadataColumns"/> (one per generation when grouped).</summary>
    public static RowFlags Of(JsonObject row, IReadOnlyCollection<string> metadataColumns)
    {
        var flags = RowFlags.None;
        foreach (var column in metadataColumns)
        {
            switch (row[column])
            {
                case JsonObject metadata:
                    flags |= OfMetadata(metadata);
                    break;
                case JsonArray generations:
                    foreach (var metadata in generations.OfType<JsonObject>()) flags |= OfMetadata(metadata);
                    break;
            }
        }
        return flags;
    }

    /// <summary>The names of <paramref name="flags"/>, as the API writes them.</summary>
    public static JsonArray NamesOf(RowFlags flags) =>
        new([.. Names.Where(n => (flags & n.Value) != 0).Select(n => (JsonNode)n.Key)]);

    private static RowFlags OfMetadata(JsonObject metadata)
    {
        var flags = RowFlags.None;
        var failed = false;
        foreach (var (key, value) in metadata)
        {
            if (value is null) continue;
            if (key.StartsWith("error_", StringComparison.Ordinal)) failed = true;
            else if (key.StartsWith("reasks_", StringComparison.Ordinal) && value is JsonValue count && count.TryGetValue<long>(out var n) && n > 0) flags |= RowFlags.Reasked;
            else if (key.StartsWith("tool_trajectory_", StringComparison.Ordinal)) flags |= RowFlags.ToolCalls;
        }
        if (failed) flags |= RowFlags.Failed;
        foreach (var (key, value) in metadata)
        {
            if (!key.StartsWith("output_error_", StringComparison.Ordinal) || value is not JsonValue reason || !reason.TryGetValue<string>(out var text)) continue;
            // A failed call also says why it has no output; that is the failure, not an unread answer or a broken rule.
            if (metadata["error_" + key["output_error_".Length..]] is not null) continue;
            flags |= UnfitAnswer.IsUnreadableReason(text) ? RowFlags.Unreadable : RowFlags.RuleBroken;
        }
        return flags;
    }
}
