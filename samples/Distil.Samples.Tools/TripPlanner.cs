using System.Text.Json.Nodes;
using Distil;

namespace Distil.Samples.Tools;

/// <summary>
/// A task whose model looks things up before it answers: two tools declared as C# methods. The
/// generator writes each tool's name, description (from the XML summary) and parameter schema at
/// build time; the runtime offers them to the model, runs the calls it asks for, and sends the
/// results back until it answers.
/// </summary>
[Task("trip_planner")]
[SystemPrompt("You plan day trips. Look up the weather and the distance with your tools before you answer.")]
[UserPrompt("Plan a day trip from {{ home }} to {{ city }}.")]
public sealed partial class TripPlanner : LlmTask<TripPlanner.Input, TripPlanner.Output>
{
    public sealed record Input(string Home, string City);

    public sealed record Output(string Plan);

    /// <summary>Where each tool call is logged, one line per call (null: not logged). Tools have side effects; this one is visible.</summary>
    public string? ToolLog { get; init; }

    /// <summary>Today's weather in a city.</summary>
    /// <param name="city">The city's name, e.g. Lyon.</param>
    [Tool]
    public string Weather(string city)
    {
        Log($"weather {city}");
        return city.Length % 2 == 0 ? $"Sunny in {city}, 24 °C." : $"Light rain in {city}, 15 °C.";
    }

    /// <summary>The road distance between two cities, in kilometres.</summary>
    /// <param name="from">Where the trip starts.</param>
    /// <param name="to">Where it goes.</param>
    [Tool]
    public int Distance(string from, string to)
    {
        Log($"distance {from} {to}");
        return 40 + (from.Length * 31 + to.Length * 17) % 400;
    }

    // The answer is the model's text as it is.
    private static Output? ParseOutput(string text, Input input) => new(text);

    private void Log(string call)
    {
        if (ToolLog is null) return;
        lock (this) File.AppendAllText(ToolLog, call + Environment.NewLine);
    }

    /// <summary>Input rows: trips from one home to a few cities.</summary>
    public static IEnumerable<JsonObject> Trips(int count)
    {
        string[] cities = ["Lyon", "Ghent", "Turin", "Basel", "Annecy", "Bruges", "Dijon", "Geneva", "Metz", "Nancy", "Reims", "Colmar"];
        for (var i = 0; i < count; i++) yield return new JsonObject { ["home"] = "Paris", ["city"] = cities[i % cities.Length] + (i >= cities.Length ? $" {i / cities.Length}" : "") };
    }
}
