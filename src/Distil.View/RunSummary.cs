using System.Text.Json.Nodes;
using Distil.Pipelines;

namespace Distil.View;

/// <summary>
/// The pipeline as the page's top shows it: each step with its committed rows (from the store and the index) and its
/// calls, failures, retries, tokens and cost so far (from the run log, which the run appends to as rows commit), summed
/// over the directory's runs.
/// </summary>
internal static class RunSummary
{
    private static readonly string[] Counts = ["calls", "failed_calls", "unparsed", "rejected", "cut_off", "retries", "cache_hits", "answers_reused", "input_tokens", "output_tokens"];

    public static JsonObject Read(ViewState state)
    {
        var runs = RunDirectoryReader.ReadRuns(state.RunDirectory);
        var stored = RunDirectoryReader.ReadSteps(state.RunDirectory);
        var indexed = state.Index.Steps().ToDictionary(s => s.Name, StringComparer.Ordinal);
        var steps = new Dictionary<string, JsonObject>(StringComparer.Ordinal);
        var order = new List<string>();

        JsonObject StepOf(string name)
        {
            if (steps.TryGetValue(name, out var entry)) return entry;
            order.Add(name);
            return steps[name] = new JsonObject { ["name"] = name, ["parents"] = new JsonArray() };
        }

        // The latest run's shape first (its order is the pipeline's), then what the store holds besides.
        if (runs.Count > 0 && runs[^1]["steps"] is JsonArray shape)
        {
            foreach (var logged in shape.OfType<JsonObject>())
            {
                if ((string?)logged["name"] is not { } name) continue;
                var entry = StepOf(name);
                entry["kind"] = (string?)logged["kind"];
                entry["parents"] = logged["parents"]?.DeepClone() ?? new JsonArray();
                entry["task"] = (string?)logged["task"];
                entry["model"] = (string?)logged["model"];
            }
        }
        foreach (var step in stored)
        {
            var entry = StepOf(step.Name);
            entry["kind"] ??= step.Kind;
            if (entry["parents"] is JsonArray { Count: 0 }) entry["parents"] = new JsonArray([.. step.Parents.Select(p => (JsonNode)p)]);
            entry["committed_inputs"] = step.InputRows;
        }
        foreach (var (name, step) in indexed)
        {
            var entry = StepOf(name);
            entry["rows"] = step.Rows;
            entry["last_seq"] = step.LastSequence;
        }
        AddCounts(runs, steps, state.Prices);

        var totals = new JsonObject();
        foreach (var count in Counts) totals[count] = steps.Values.Sum(s => (long?)s[count] ?? 0);
        totals["cost"] = Cost(steps.Values.Select(s => (decimal?)s["cost"]), steps.Values.Any(s => s["model"] is not null));
        var last = runs.Count > 0 ? runs[^1] : null;
        return new JsonObject
        {
            ["directory"] = state.RunDirectory,
            ["pipeline"] = (string?)last?["pipeline"],
            ["runs"] = runs.Count,
            ["outcome"] = (string?)last?["outcome"],
            ["running"] = (string?)last?["outcome"] == RunDirectoryReader.UnfinishedOutcome,
            ["elapsed_s"] = (double?)last?["elapsed_s"],
            ["steps"] = new JsonArray([.. order.Select(n => (JsonNode)steps[n])]),
            ["totals"] = totals,
            ["priced"] = state.Prices is not null,
        };
    }

    // Every run's counts add up: a run that resumed did only the rest, so the sum is what the data cost.
    private static void AddCounts(IReadOnlyList<JsonObject> runs, Dictionary<string, JsonObject> steps, PriceTable? prices)
    {
        foreach (var run in runs)
        {
            if (run["steps"] is not JsonArray logged) continue;
            foreach (var step in logged.OfType<JsonObject>())
            {
                if ((string?)step["name"] is not { } name || !steps.TryGetValue(name, out var entry)) continue;
                foreach (var count in Counts)
                {
                    if ((long?)step[count] is { } value) entry[count] = ((long?)entry[count] ?? 0) + value;
                }
                if (prices is not null && prices.Cost((string?)step["model"], (long?)step["input_tokens"] ?? 0, (long?)step["output_tokens"] ?? 0) is { } cost)
                {
                    entry["cost"] = ((decimal?)entry["cost"] ?? 0m) + cost;
                }
            }
        }
    }

    private static decimal? Cost(IEnumerable<decimal?> costs, bool anyModel)
    {
        decimal? sum = null;
        foreach (var cost in costs) if (cost is { } value) sum = (sum ?? 0) + value;
        return anyModel ? sum : null;
    }
}
