using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.AI;

namespace Distil.Pipelines;

/// <summary>
/// <c>run-log.jsonl</c> in the run directory: one line per run of the pipeline (completed, stopped
/// or failed), with the pipeline's shape and what each step did in that run: rows, time, calls,
/// failures, tokens, retries, cache hits and a histogram of call durations. The rows themselves
/// are in the run store; the report reads both. No prompt, answer, endpoint or key is written.
/// </summary>
internal static class RunLog
{
    public const string FileName = "run-log.jsonl";

    /// <summary>
    /// The model a task's client names: "model (provider)", or for a local model "model (provider, file name)";
    /// never a remote endpoint, which may carry a key.
    /// </summary>
    public static string? ModelOf(LlmTask? task)
    {
        if (task?.Llm?.GetService<ChatClientMetadata>() is not { } metadata) return null;
        // Rule: a local model's file (never a remote address) is named too, so that a price may name the file.
        var provider = metadata.ProviderUri is { IsFile: true } file && Path.GetFileName(file.LocalPath) is { Length: > 0 } name
            ? metadata.ProviderName is { Length: > 0 } p ? $"{p}, {name}" : name
            : metadata.ProviderName;
        var model = (metadata.DefaultModelId, provider) switch
        {
            ({ Length: > 0 } id, { Length: > 0 } note) => $"{id} ({note})",
            ({ Length: > 0 } id, _) => id,
            (_, var note) => note,
        };
        return string.IsNullOrEmpty(model) ? null : model;
    }

    public static async Task AppendAsync(string runDirectory, string pipeline, DateTimeOffset started, TimeSpan elapsed, string outcome, string? error,
        IReadOnlyList<StepNode> order, RunMetrics metrics, IReadOnlyDictionary<StepNode, TimeSpan> stepTimes, IReadOnlyDictionary<StepNode, RowSchema?> schemas)
    {
        var steps = new JsonArray();
        foreach (var step in order)
        {
            var counts = metrics.For(step.Name);
            var entry = new JsonObject
            {
                ["name"] = step.Name,
                ["kind"] = step.Kind,
                ["parents"] = new JsonArray(step.Parents.Select(p => (JsonNode)p.Name).ToArray()),
                ["stored"] = step.IsStored,
                ["rows_in"] = counts.Read,
                ["rows_out"] = counts.Written,
                ["replayed"] = counts.Replayed,
                ["elapsed_s"] = Math.Round(stepTimes.GetValueOrDefault(step).TotalSeconds, 3),
            };
            if (step is TaskNode { Task: var task } node)
            {
                // Rule: outputs under the rows' names (a mapped output is where the answers are).
                var outputs = node.OutputColumns;
                entry["task"] = task.GetType().Name;
                entry["task_name"] = task.Name;
                entry["model"] = ModelOf(task);
                entry["metadata_column"] = task.MetadataColumn;
                entry["grouped"] = task.GroupGenerations;
                entry["outputs"] = new JsonArray(outputs.Select(o => (JsonNode)o).ToArray());
                entry["types"] = schemas.GetValueOrDefault(step) is { } schema
                    ? new JsonObject(outputs.Where(schema.Contains).Select(o => KeyValuePair.Create(o, (JsonNode?)schema.Find(o)!.Type.ToString())))
                    : null;
                entry["calls"] = counts.Calls;
                entry["failed_calls"] = counts.FailedCalls;
                entry["unparsed"] = counts.Unparsed;
                entry["rejected"] = counts.Rejected;
                entry["cut_off"] = counts.CutOff;
                entry["input_tokens"] = counts.InputTokens;
                entry["output_tokens"] = counts.OutputTokens;
                entry["retries"] = counts.Retries;
                entry["cache_hits"] = counts.CacheHits;
                entry["latency_ms_buckets"] = counts.Latency.ToJson();
            }
            steps.Add((JsonNode)entry);
        }
        var line = new JsonObject
        {
            ["pipeline"] = pipeline,
            ["started"] = started.ToString("O", CultureInfo.InvariantCulture),
            ["elapsed_s"] = Math.Round(elapsed.TotalSeconds, 3),
            ["outcome"] = outcome,
            ["error"] = error,
            ["steps"] = steps,
        };
        await File.AppendAllTextAsync(Path.Combine(runDirectory, FileName), line.ToJsonString() + "\n", Encoding.UTF8).ConfigureAwait(false);
    }

    /// <summary>Every run of the directory, oldest first; a damaged line (a run killed mid-write) is skipped.</summary>
    public static IReadOnlyList<JsonObject> Read(string runDirectory)
    {
        var path = Path.Combine(runDirectory, FileName);
        if (!File.Exists(path)) return [];
        var runs = new List<JsonObject>();
        foreach (var line in File.ReadLines(path))
        {
            if (string.IsNullOrWhiteSpace(line)) continue;
            try
            {
                if (JsonNode.Parse(line) is JsonObject run) runs.Add(run);
            }
            catch (System.Text.Json.JsonException)
            {
                // A line cut short by a killed process: the next run's line is whole.
            }
        }
        return runs;
    }
}
