using System.Text.RegularExpressions;
using Distil.Testing;

namespace Distil.Samples.Tools;

/// <summary>
/// What the stand-in server answers, as a model that uses tools would: the first turn asks for the
/// weather and the distance (two calls at once), the turn after the results answers with them.
/// </summary>
public static partial class StandInModel
{
    public static FakeReply Reply(FakeRequest request)
    {
        if (request.ToolResults.Count > 0)
        {
            return new FakeReply.Answer("Plan: " + string.Join(" ", request.ToolResults.Select(r => r.Content.TrimEnd('.') + ".")) + " Leave early and take the train back.");
        }
        var trip = Trip().Match(request.LastMessage);
        var (home, city) = (trip.Groups[1].Value, trip.Groups[2].Value);
        return new FakeReply.ToolCalls([
            new FakeToolCall("weather-1", "weather", $$"""{"city":"{{city}}"}"""),
            new FakeToolCall("distance-1", "distance", $$"""{"from":"{{home}}","to":"{{city}}"}"""),
        ]);
    }

    [GeneratedRegex(@"from (.+) to (.+)\.")]
    private static partial Regex Trip();
}
