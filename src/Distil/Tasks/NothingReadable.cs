using System.Text.Json.Nodes;

namespace Distil;

/// <summary>
/// "Nothing readable", for the values an answer gave: the one test of whether output columns carry
/// anything. A task run (re-asking, the counts, the summary) and the run report use it alike.
/// </summary>
internal static class NothingReadable
{
    // Rule: a value carries nothing when it is null, or a list whose items all carry nothing (one
    // null per response, as distilabel writes an unreadable scorer's answer). An empty list is a
    // readable "none": a row with no responses rightly has no scores.
    public static bool In(JsonNode? value) => value switch
    {
        null => true,
        JsonArray { Count: > 0 } list => list.All(In),
        _ => false,
    };

    // Rule: output columns carry nothing when there is at least one and every one carries nothing.
    public static bool InAll(IReadOnlyCollection<JsonNode?> values) => values.Count > 0 && values.All(In);
}
