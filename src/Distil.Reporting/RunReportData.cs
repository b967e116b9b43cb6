using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Distil.Mapping;

namespace Distil.Pipelines;

/// <summary>One step of the pipeline as the run log describes it, with its counts summed over every run.</summary>
internal sealed class ReportStep
{
    public required string Name { get; init; }
    public required string Kind { get; init; }
    public required IReadOnlyList<string> Parents { get; init; }
    public bool Stored { get; init; }
    public string? Task { get; init; }
    public string? TaskName { get; init; }
    public string? Model { get; init; }
    public string MetadataColumn { get; init; } = LlmTask.DefaultMetadataColumn;
    public bool Grouped { get; init; }
    public IReadOnlyList<string> Outputs { get; init; } = [];

    /// <summary>The adaptive concurrency limit of the task's model in the latest run that had one.</summary>
    public ReportConcurrency? Concurrency { get; set; }
    public IReadOnlyDictionary<string, string> Types { get; init; } = new Dictionary<string, string>();
    public long RowsIn { get; set; }
    public long RowsOut { get; set; }
    public double Seconds { get; set; }
    public long Calls { get; set; }
    public long FailedCalls { get; set; }
    public long Unparsed { get; set; }
    public long InputTokens { get; set; }
    public long OutputTokens { get; set; }
    public long Retries { get; set; }
    public long CacheHits { get; set; }

    /// <summary>Calls answered from the run directory's answers (paid for by an earlier run; not among <see cref="Calls"/>).</summary>
    public long AnswersReused { get; set; }
    public LatencyHistogram Latency { get; } = new();

    /// <summary>The task's concurrency (in the latest run): the most calls that can have been in flight when a run stopped.</summary>
    public int? MaxConcurrency { get; init; }

    /// <summary>Runs of this step that have no end line (killed, or still running): only their committed rows' calls are counted.</summary>
    public int UnfinishedRuns { get; set; }

    public bool IsTask => TaskName is not null;

    /// <summary>What the step's rows in the run store hold (task steps only).</summary>
    public StoredTaskRows? Rows { get; set; }
}

/// <summary>A row as the report shows it: its columns, the prompt and the answer, and how it went.</summary>
internal sealed record SampleRow(long Index, string Status, IReadOnlyList<(string Name, string Value)> Inputs, string? Prompt, string? Answer,
    IReadOnlyList<(string Name, string Value)> Outputs, string? Problem);

/// <summary>The rows a task step left in the run store, read in one pass.</summary>
internal sealed class StoredTaskRows
{
    public long Rows { get; set; }
    public long Generations { get; set; }
    public long FailedGenerations { get; set; }
    public long UnparsedGenerations { get; set; }
    public long RejectedGenerations { get; set; }
    public Dictionary<string, long> FailureReasons { get; } = new(StringComparer.Ordinal);
    public List<(string Reason, string? Raw)> UnparsedExamples { get; } = [];
    public List<ColumnStatistics> Columns { get; } = [];
    public List<SampleRow> Sample { get; } = [];
}

/// <summary>Gathers what the report shows from the run log and the run store.</summary>
internal static partial class RunReportData
{
    public static IReadOnlyList<ReportStep> Steps(IReadOnlyList<JsonObject> runs)
    {
        if (runs.Count == 0) return [];
        // The shape of the latest run; counts of every run that had the step.
        var steps = ((JsonArray)runs[^1]["steps"]!).Select(s => (JsonObject)s!).Select(s => new ReportStep
        {
            Name = (string)s["name"]!,
            Kind = (string)s["kind"]!,
            Parents = s["parents"]?.AsArray().Select(p => (string)p!).ToList() ?? [],
            Stored = (bool?)s["stored"] ?? true,
            Task = (string?)s["task"],
            TaskName = (string?)s["task_name"],
            Model = (string?)s["model"],
            MetadataColumn = (string?)s["metadata_column"] ?? LlmTask.DefaultMetadataColumn,
            Grouped = (bool?)s["grouped"] ?? false,
            MaxConcurrency = (int?)s["max_concurrency"],
            Outputs = s["outputs"]?.AsArray().Select(o => (string)o!).ToList() ?? [],
            Types = s["types"] is JsonObject types ? types.ToDictionary(t => t.Key, t => (string?)t.Value ?? "") : new Dictionary<string, string>(),
        }).ToList();
        var byName = steps.ToDictionary(s => s.Name, StringComparer.Ordinal);
        foreach (var run in runs)
        {
            var unfinished = (string?)run["outcome"] == RunDirectoryReader.UnfinishedOutcome;
            foreach (var s in ((JsonArray)run["steps"]!).Select(s => (JsonObject)s!))
            {
                if (!byName.TryGetValue((string)s["name"]!, out var step)) continue;
                if (unfinished) step.UnfinishedRuns++;
                step.Seconds += (double?)s["elapsed_s"] ?? 0;
                step.Calls += (long?)s["calls"] ?? 0;
                step.FailedCalls += (long?)s["failed_calls"] ?? 0;
                step.Unparsed += ((long?)s["unparsed"] ?? 0) + ((long?)s["rejected"] ?? 0);
                step.InputTokens += (long?)s["input_tokens"] ?? 0;
                step.OutputTokens += (long?)s["output_tokens"] ?? 0;
                step.Retries += (long?)s["retries"] ?? 0;
                step.CacheHits += (long?)s["cache_hits"] ?? 0;
                step.AnswersReused += (long?)s["answers_reused"] ?? 0;
                step.Latency.Add(LatencyHistogram.FromJson(s["latency_ms_buckets"]));
                // The latest run's adaptive limit: a series of its own, not added up across runs.
                if (s["concurrency"] is JsonObject concurrency) step.Concurrency = ReportConcurrency.From(concurrency);
                // Rows read include replayed ones: the latest run's counts are the whole. A run that did not
                // end counts only the rows it committed, and none for a step that committed nothing.
                step.RowsIn = (long?)s["rows_in"] ?? (unfinished ? step.RowsIn : 0);
                step.RowsOut = (long?)s["rows_out"] ?? (unfinished ? step.RowsOut : 0);
            }
        }
        return steps;
    }

    /// <summary>Reads a task step's rows once: per-column statistics, failures, unparsed answers and a sample.</summary>
    public static async Task<StoredTaskRows> ReadTaskRowsAsync(string storePath, ReportStep step, int sampleRows, int examples, CancellationToken cancellationToken)
    {
        var result = new StoredTaskRows();
        var task = step.TaskName!;
        var columns = step.Outputs.Select(o => new ColumnStatistics(o, step.Types.GetValueOrDefault(o))).ToList();
        result.Columns.AddRange(columns);
        var troubled = 0;
        await foreach (var row in RunDirectoryReader.ReadStepRowsAsync(Path.GetDirectoryName(storePath)!, step.Name, cancellationToken).ConfigureAwait(false))
        {
            var index = result.Rows++;
            foreach (var column in columns) column.Add(row[column.Name], step.Grouped);

            var metadatas = row[step.MetadataColumn] switch
            {
                JsonArray list => list.Select(m => m as JsonObject).ToList(),
                JsonObject one => [one],
                _ => [null],
            };
            string status = "ok";
            string? problem = null;
            for (var g = 0; g < metadatas.Count; g++)
            {
                result.Generations++;
                var metadata = metadatas[g];
                if ((string?)metadata?["error_" + task] is { } error)
                {
                    result.FailedGenerations++;
                    var reason = Reason(error);
                    result.FailureReasons[reason] = result.FailureReasons.GetValueOrDefault(reason) + 1;
                    status = "failed";
                    problem ??= error;
                }
                else if ((string?)metadata?["output_error_" + task] is { } rejection && !UnfitAnswer.IsUnreadableReason(rejection))
                {
                    result.RejectedGenerations++;
                    if (result.UnparsedExamples.Count < examples) result.UnparsedExamples.Add(("broke a rule: " + rejection, JsonNodeRead.Text(metadata?["raw_output_" + task])));
                    if (status == "ok") status = "unparsed";
                    problem ??= rejection;
                }
                else if (NothingReadable.InAll(step.Outputs.Select(o => Generation(row[o], g, step.Grouped)).ToList()))
                {
                    result.UnparsedGenerations++;
                    // Why, when the run said (it was cut off at the token limit, or did not follow the format).
                    var why = (string?)metadata?["output_error_" + task] is { } reason && UnfitAnswer.IsUnreadableReason(reason)
                        ? reason[UnfitAnswer.UnreadablePrefix.Length..] : "could not be read";
                    if (result.UnparsedExamples.Count < examples) result.UnparsedExamples.Add((why, JsonNodeRead.Text(metadata?["raw_output_" + task])));
                    if (status == "ok") status = "unparsed";
                    problem ??= "The answer could not be read.";
                }
            }
            // The first rows, and enough troubled ones after them for the filter to show.
            if (index < sampleRows || (status != "ok" && troubled < sampleRows))
            {
                if (status != "ok" && index >= sampleRows) troubled++;
                result.Sample.Add(Sample(row, index, status, problem, step, metadatas.FirstOrDefault()));
            }
        }
        return result;
    }

    private static JsonNode? Generation(JsonNode? value, int generation, bool grouped) =>
        grouped ? value is JsonArray list && generation < list.Count ? list[generation] : null : value;

    private static SampleRow Sample(JsonObject row, long index, string status, string? problem, ReportStep step, JsonObject? metadata)
    {
        var task = step.TaskName!;
        var outputs = step.Outputs.Select(o => (o, JsonNodeRead.Text(row[o]) ?? "null")).ToList();
        var inputs = row.Where(c => c.Key != step.MetadataColumn && c.Key != "model_name" && !step.Outputs.Contains(c.Key))
            .Select(c => (c.Key, JsonNodeRead.Text(c.Value) ?? "null")).ToList();
        var prompt = metadata?["raw_input_" + task] is JsonArray turns
            ? string.Join("\n\n", turns.Select(t => $"[{(string?)t?["role"]}] {(string?)t?["content"]}"))
            : null;
        return new SampleRow(index, status, inputs, prompt, JsonNodeRead.Text(metadata?["raw_output_" + task]), outputs, problem);
    }


    /// <summary>Why a call failed, as a few kinds: an HTTP status, a timeout, a refusal; else the message's start.</summary>
    public static string Reason(string error)
    {
        if (HttpStatus().Match(error) is { Success: true } status) return "HTTP " + status.Groups[1].Value;
        if (error.Contains("timed out", StringComparison.OrdinalIgnoreCase) || error.Contains("timeout", StringComparison.OrdinalIgnoreCase)) return "timeout";
        if (error.Contains("refus", StringComparison.OrdinalIgnoreCase) || error.Contains("content_filter", StringComparison.OrdinalIgnoreCase)) return "refusal";
        var firstLine = error.Split('\n')[0];
        return firstLine.Length <= 80 ? firstLine : firstLine[..77] + "...";
    }

    [GeneratedRegex(@"\b(?:HTTP|status(?: code)?)[ :]*([1-5]\d\d)\b", RegexOptions.IgnoreCase)]
    private static partial Regex HttpStatus();
}

/// <summary>A task model's adaptive concurrency as the run log wrote it: ceiling, last limit, refusals, the limit over time.</summary>
internal sealed record ReportConcurrency(int? Ceiling, int Limit, long Refusals, IReadOnlyList<(double Seconds, int Limit)> Limits)
{
    public static ReportConcurrency From(JsonObject entry) => new(
        (int?)entry["ceiling"], (int?)entry["limit"] ?? 0, (long?)entry["refusals"] ?? 0,
        entry["limits"] is JsonArray points
            ? points.OfType<JsonArray>().Where(p => p.Count == 2).Select(p => ((double?)p[0] ?? 0, (int?)p[1] ?? 0)).ToList()
            : []);
}
