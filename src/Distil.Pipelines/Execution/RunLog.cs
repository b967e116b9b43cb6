using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;

namespace Distil.Pipelines;

/// <summary>
/// <c>run-log.jsonl</c> in the run directory: what every run of the pipeline did, written as it
/// goes. A run appends a <c>start</c> line (the pipeline's shape), a <c>rows</c> line for each
/// burst of task rows the run store commits (what those rows' calls cost), and an <c>end</c> line
/// when it ends (completed, stopped or failed) with its totals. The rows themselves are in the run
/// store; the report reads both. No prompt, answer, endpoint or key is written.
/// </summary>
/// <remarks>
/// Rule: a run with an end line is counted by that line alone; a run without one (killed, or still
/// running) by its rows lines whose rows are committed, so nothing is counted twice and a killed
/// run's calls are not lost. Calls that were in flight when such a run stopped are not counted:
/// their rows were not kept, and the next run asks them again (and counts them then).
/// </remarks>
internal static class RunLog
{
    public const string FileName = "run-log.jsonl";

    /// <summary>The prefix of the marks the run store commits with each burst: <c>run_log:RUN</c> = the burst's number.</summary>
    public const string MarkPrefix = "run_log:";

    /// <summary>The outcome given to a run that has no end line: it was killed, or it is still running.</summary>
    public const string Unfinished = "unfinished";

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

    /// <summary>A step as the log describes it: kind, parents, and for a task its task, model, outputs and types.</summary>
    public static JsonObject Shape(PipelineStep step, IReadOnlyDictionary<PipelineStep, RowSchema?> schemas)
    {
        var entry = new JsonObject
        {
            ["name"] = step.Name,
            ["kind"] = step.Kind,
            ["parents"] = new JsonArray(step.Parents.Select(p => (JsonNode)p.Name).ToArray()),
            ["stored"] = step.IsStored,
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
            entry["max_concurrency"] = task.MaxConcurrency;
            entry["outputs"] = new JsonArray(outputs.Select(o => (JsonNode)o).ToArray());
            entry["types"] = schemas.GetValueOrDefault(step) is { } schema
                ? new JsonObject(outputs.Where(schema.Contains).Select(o => KeyValuePair.Create(o, (JsonNode?)schema.Find(o)!.Type.ToString())))
                : null;
        }
        return entry;
    }

    /// <summary>
    /// The adaptive concurrency of a task's model (null when its limit is fixed): its ceiling, its
    /// refusals, and its limit over time as [seconds, limit] pairs (seconds from the limit's
    /// making, the model's first client). Shared by every step on the model; names no endpoint.
    /// </summary>
    public static JsonObject? Concurrency(IChatClient llm)
    {
        if (llm.GetService<AdaptiveConcurrency>() is not { IsAdaptive: true } limit) return null;
        return new JsonObject
        {
            ["ceiling"] = limit.Ceiling,
            ["limit"] = limit.Limit,
            ["refusals"] = limit.Refusals,
            ["limits"] = new JsonArray(limit.History.Select(h => (JsonNode)new JsonArray(Math.Round(h.At.TotalSeconds, 3), h.Limit)).ToArray()),
        };
    }

    /// <summary>Writes a step's call counts into <paramref name="entry"/> under the log's names.</summary>
    public static void WriteCalls(JsonObject entry, StepCounts counts)
    {
        entry["calls"] = counts.Calls;
        entry["failed_calls"] = counts.FailedCalls;
        entry["unparsed"] = counts.Unparsed;
        entry["rejected"] = counts.Rejected;
        entry["cut_off"] = counts.CutOff;
        entry["input_tokens"] = counts.InputTokens;
        entry["output_tokens"] = counts.OutputTokens;
        entry["retries"] = counts.Retries;
        entry["cache_hits"] = counts.CacheHits;
        entry["answers_reused"] = counts.AnswersReused;
        entry["latency_ms_buckets"] = counts.Latency.ToJson();
    }

    /// <summary>
    /// Every run of the directory, oldest first, each as one object: its end line, or for a run
    /// without one (killed, or still running) its start line with the counts of its committed
    /// rows lines and the outcome <see cref="Unfinished"/>. A damaged line (cut short by a kill) is skipped.
    /// </summary>
    public static IReadOnlyList<JsonObject> Read(string runDirectory)
    {
        var path = Path.Combine(runDirectory, FileName);
        if (!File.Exists(path)) return [];
        // The marks first: a rows line written after them is one whose commit this reading cannot see.
        var marks = RunStore.ReadMarks(Path.Combine(runDirectory, RunStore.FileName), MarkPrefix);
        var runs = new List<LoggedRun>();
        var byId = new Dictionary<string, LoggedRun>(StringComparer.Ordinal);
        foreach (var line in Lines(path))
        {
            if ((string?)line["run"] is not { } id)
            {
                runs.Add(new LoggedRun { End = line }); // a line of an older Distil: one whole run
                continue;
            }
            if (!byId.TryGetValue(id, out var run))
            {
                byId[id] = run = new LoggedRun { Committed = marks.TryGetValue(MarkPrefix + id, out var mark) && long.TryParse(mark, CultureInfo.InvariantCulture, out var burst) ? burst : 0 };
                runs.Add(run);
            }
            switch ((string?)line["event"])
            {
                case "start": run.Start = line; break;
                case "rows": run.Add(line); break;
                case "end": run.End = line; break;
            }
        }
        return runs.Select(r => r.End ?? r.Unfinished()).OfType<JsonObject>().ToList();
    }

    // Whole lines that parse as JSON objects; a line cut short by a killed process is skipped, and a
    // byte-order mark (written by older versions) is read past.
    private static IEnumerable<JsonObject> Lines(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        using var reader = new StreamReader(stream, Encoding.UTF8, detectEncodingFromByteOrderMarks: true);
        while (reader.ReadLine() is { } line)
        {
            if (string.IsNullOrWhiteSpace(line)) continue;
            JsonObject? run = null;
            try
            {
                run = JsonNode.Parse(line) as JsonObject;
            }
            catch (System.Text.Json.JsonException)
            {
                // A line cut short by a killed process: the lines after it are whole.
            }
            if (run is not null) yield return run;
        }
    }

    // The lines of one run, gathered while reading.
    private sealed class LoggedRun
    {
        private readonly Dictionary<string, (StepCounts Counts, long Rows, long Outputs, double Seconds)> _steps = new(StringComparer.Ordinal);
        private double _seconds;

        public JsonObject? Start { get; set; }

        public JsonObject? End { get; set; }

        /// <summary>The last burst whose rows the run store committed.</summary>
        public long Committed { get; init; }

        public void Add(JsonObject rows)
        {
            // Rule: a burst counts only once its rows are on disk (its number is within the store's mark).
            if (((long?)rows["burst"] ?? long.MaxValue) > Committed || rows["steps"] is not JsonObject steps) return;
            _seconds = Math.Max(_seconds, (double?)rows["elapsed_s"] ?? 0);
            foreach (var (name, value) in steps)
            {
                if (value is not JsonObject step) continue;
                var (counts, rowsIn, rowsOut, seconds) = _steps.TryGetValue(name, out var known) ? known : (new StepCounts(), 0, 0, 0);
                counts.AddCalls(CallsOf(step));
                _steps[name] = (counts, rowsIn + ((long?)step["rows"] ?? 0), rowsOut + ((long?)step["rows_out"] ?? 0),
                    Math.Max(seconds, (double?)rows["elapsed_s"] ?? 0));
            }
        }

        /// <summary>The run as an end line would describe it, from its start line and its committed rows lines.</summary>
        public JsonObject? Unfinished()
        {
            if (Start?.DeepClone() is not JsonObject run || run["steps"] is not JsonArray steps) return null;
            run["event"] = "end";
            run["outcome"] = RunLog.Unfinished;
            run["elapsed_s"] = Math.Round(_seconds, 3);
            foreach (var step in steps.OfType<JsonObject>())
            {
                if (!_steps.TryGetValue((string?)step["name"] ?? "", out var done)) continue;
                step["rows_in"] = done.Rows;
                step["rows_out"] = done.Outputs;
                step["elapsed_s"] = Math.Round(done.Seconds, 3);
                WriteCalls(step, done.Counts);
            }
            return run;
        }

        private static StepCounts CallsOf(JsonObject step)
        {
            var counts = new StepCounts
            {
                CallsField = (long?)step["calls"] ?? 0,
                FailedCallsField = (long?)step["failed_calls"] ?? 0,
                UnparsedField = (long?)step["unparsed"] ?? 0,
                RejectedField = (long?)step["rejected"] ?? 0,
                // The log keeps one count of cut-off answers; whether they were unread or rejected is not needed again.
                CutOffUnparsedField = (long?)step["cut_off"] ?? 0,
                InputTokensField = (long?)step["input_tokens"] ?? 0,
                OutputTokensField = (long?)step["output_tokens"] ?? 0,
                RetriesField = (long?)step["retries"] ?? 0,
                CacheHitsField = (long?)step["cache_hits"] ?? 0,
                AnswersReusedField = (long?)step["answers_reused"] ?? 0,
            };
            counts.Latency.Add(LatencyHistogram.FromJson(step["latency_ms_buckets"]));
            return counts;
        }
    }
}

/// <summary>
/// Appends one run's lines to <c>run-log.jsonl</c> (see <see cref="RunLog"/>): the start line when
/// it is opened, a rows line for each burst of task rows just before the run store commits it (as
/// the store's <see cref="ICommitJournal"/>), and the end line. Each line goes to the operating
/// system as it is written (a kill loses none; like the run store, a power cut may), in UTF-8
/// without a byte-order mark. A line that cannot be written is warned about once and its counts go
/// into the next line; the run itself goes on.
/// </summary>
internal sealed class RunLogWriter : ICommitJournal, IDisposable
{
    private static readonly UTF8Encoding Utf8 = new(encoderShouldEmitUTF8Identifier: false);

    private readonly object _lock = new();
    private readonly FileStream? _file;
    private readonly ILogger _logger;
    private readonly Stopwatch _clock;
    private readonly string _runId = Guid.NewGuid().ToString("N")[..16];
    // Charges of bursts whose line could not be written, carried into the next line.
    private readonly Dictionary<string, (StepCounts Counts, long Rows, long Outputs)> _unwritten = new(StringComparer.Ordinal);
    private long _burst;
    private long _written;
    private bool _startOnNewLine;
    private bool _warned;

    private RunLogWriter(string path, ILogger logger, Stopwatch clock)
    {
        _logger = logger;
        _clock = clock;
        try
        {
            // A run killed mid-line left the file without its last newline: this run's lines start on a line of their own.
            _startOnNewLine = EndsMidLine(path);
            _file = new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete, bufferSize: 0);
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException)
        {
            Warn(error);
        }
    }

    /// <summary>Opens the log of <paramref name="runDirectory"/> for a new run and writes its start line.</summary>
    public static RunLogWriter Start(string runDirectory, string pipeline, DateTimeOffset started, Stopwatch clock,
        IReadOnlyList<PipelineStep> order, IReadOnlyDictionary<PipelineStep, RowSchema?> schemas, ILogger logger)
    {
        var writer = new RunLogWriter(Path.Combine(runDirectory, RunLog.FileName), logger, clock);
        writer.Append(new JsonObject
        {
            ["event"] = "start",
            ["run"] = writer._runId,
            ["pipeline"] = pipeline,
            ["started"] = started.ToString("O", CultureInfo.InvariantCulture),
            ["steps"] = new JsonArray(order.Select(step => (JsonNode)RunLog.Shape(step, schemas)).ToArray()),
        });
        return writer;
    }

    /// <inheritdoc/>
    public CommitMark? Committing(IReadOnlyList<RowCharges> charges)
    {
        lock (_lock)
        {
            foreach (var row in charges)
            {
                var (counts, rows, outputs) = _unwritten.TryGetValue(row.Step, out var known) ? known : (new StepCounts(), 0, 0);
                counts.AddCalls(row.Counts);
                _unwritten[row.Step] = (counts, rows + 1, outputs + row.OutputRows);
            }
            var burst = ++_burst;
            var elapsed = Math.Round(_clock.Elapsed.TotalSeconds, 3);
            var steps = new JsonObject();
            foreach (var (step, (counts, rows, outputs)) in _unwritten)
            {
                var entry = new JsonObject { ["rows"] = rows, ["rows_out"] = outputs };
                RunLog.WriteCalls(entry, counts);
                steps[step] = entry;
            }
            if (Append(new JsonObject { ["event"] = "rows", ["run"] = _runId, ["burst"] = burst, ["elapsed_s"] = elapsed, ["steps"] = steps }))
            {
                _unwritten.Clear();
                _written = burst;
            }
            // Rule: the mark names the last burst whose line is in the file, so a reader counts no line twice and none whose rows are not on disk.
            return _written > 0 ? new CommitMark(RunLog.MarkPrefix + _runId, _written.ToString(CultureInfo.InvariantCulture)) : null;
        }
    }

    /// <summary>Writes the end line: the run's outcome and, per step, its rows, time and every count of the run.</summary>
    public void End(TimeSpan elapsed, string outcome, string? error, IReadOnlyList<PipelineStep> order, RunMetrics metrics,
        IReadOnlyDictionary<PipelineStep, TimeSpan> stepTimes, IReadOnlyDictionary<PipelineStep, RowSchema?> schemas, string pipeline, DateTimeOffset started)
    {
        var steps = new JsonArray();
        foreach (var step in order)
        {
            var counts = metrics.For(step.Name);
            var entry = RunLog.Shape(step, schemas);
            entry["rows_in"] = counts.Read;
            entry["rows_out"] = counts.Written;
            entry["replayed"] = counts.Replayed;
            entry["elapsed_s"] = Math.Round(stepTimes.GetValueOrDefault(step).TotalSeconds, 3);
            if (step is TaskNode) RunLog.WriteCalls(entry, counts);
            if (step is TaskNode { Task.Llm: { } llm } && RunLog.Concurrency(llm) is { } concurrency) entry["concurrency"] = concurrency;
            steps.Add((JsonNode)entry);
        }
        lock (_lock)
        {
            Append(new JsonObject
            {
                ["event"] = "end",
                ["run"] = _runId,
                ["pipeline"] = pipeline,
                ["started"] = started.ToString("O", CultureInfo.InvariantCulture),
                ["elapsed_s"] = Math.Round(elapsed.TotalSeconds, 3),
                ["outcome"] = outcome,
                ["error"] = error,
                ["steps"] = steps,
            });
        }
    }

    public void Dispose() => _file?.Dispose();

    // One whole line, handed to the operating system at once; false when it could not be written.
    private bool Append(JsonObject line)
    {
        if (_file is null) return false;
        try
        {
            var text = (_startOnNewLine ? "\n" : "") + line.ToJsonString() + "\n";
            _file.Write(Utf8.GetBytes(text));
            _file.Flush();
            _startOnNewLine = false;
            return true;
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException)
        {
            // Part of the line may be in the file: the next one starts on a line of its own.
            _startOnNewLine = true;
            Warn(error);
            return false;
        }
    }

    private void Warn(Exception error)
    {
        if (_warned) return;
        _warned = true;
        _logger.LogWarning("The run log {Path} could not be written ({Error}); the rows are kept, only the report may lack some of this run's counts.",
            _file?.Name ?? RunLog.FileName, error.Message);
    }

    private static bool EndsMidLine(string path)
    {
        if (!File.Exists(path)) return false;
        using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        if (file.Length == 0) return false;
        file.Seek(-1, SeekOrigin.End);
        return file.ReadByte() != '\n';
    }
}
