using System.Text.Json.Nodes;

namespace Distil;

/// <summary>
/// "Nothing readable", for the values an answer gave: the one test of whether output columns carry
/// anything. A task run (re-asking, the counts, the summary) and the run report use it alike.
/// </summary>
public static class NothingReadable
{
    /// <summary>
    /// Whether a value carries nothing: null, or a list whose items all carry nothing (one null per response, as
    /// distilabel writes an unreadable scorer's answer). An empty list is a readable "none": a row with no
    /// responses rightly has no scores.
    /// </summary>
    public static bool In(JsonNode? value) => value switch
    {
        null => true,
        JsonArray { Count: > 0 } list => list.All(In),
        _ => false,
    };

    /// <summary>Whether output columns carry nothing: there is at least one, and every one carries nothing.</summary>
    public static bool InAll(IReadOnlyCollection<JsonNode?> values) => values.Count > 0 && values.All(In);
}
