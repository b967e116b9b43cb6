using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;

namespace Distil.Pipelines;

/// <summary>What the run report includes.</summary>
public sealed class RunReportOptions
{
    /// <summary>Prices, so that the report shows what each task cost (null: token counts only).</summary>
    public PriceTable? Prices { get; init; }

    /// <summary>Rows shown per task in the sample (the first ones, and as many failed or unparsed ones after them); default 25.</summary>
    public int SampleRows { get; init; } = 25;

    /// <summary>Raw answers shown per task among those that could not be read; default 5.</summary>
    public int Examples { get; init; } = 5;
}

/// <summary>
/// The run report: one self-contained HTML file (styles, script and SVG charts inline; no request
/// leaves the page, and it prints) describing a run directory: the pipeline as a graph with rows
/// and time per step; per deduplication step the rows it dropped and what each repeats; per task its calls, failures by reason, unparsed answers with examples,
/// retries, cache hits, tokens, latency percentiles and cost; per output column a chart of its
/// values; and a sample of rows with a filter for failed and unparsed ones. It reads the run log
/// and the run store in one pass per task, with bounded memory. Every text a model wrote is
/// escaped, and a Content-Security-Policy allows only the page's own inline style and script.
/// </summary>
public static class RunReport
{
    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

    /// <summary>Writes the report of <paramref name="runDirectory"/> to <paramref name="outputPath"/> (default: <c>report.html</c> in the run directory) and returns its full path.</summary>
    /// <exception cref="PipelineException">The folder holds no run (no run log and no run store).</exception>
    public static async Task<string> WriteAsync(string runDirectory, string? outputPath = null, RunReportOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(runDirectory);
        options ??= new RunReportOptions();
        var directory = Path.GetFullPath(runDirectory);
        var store = Path.Combine(directory, RunDirectoryReader.StoreFileName);
        var runs = RunDirectoryReader.ReadRuns(directory);
        if (runs.Count == 0)
        {
            throw new PipelineException(File.Exists(store)
                ? $"The run directory '{directory}' has a run store but no {RunDirectoryReader.LogFileName} (it was made by an older Distil): run the pipeline once more (finished rows are replayed at no cost) to record one."
                : $"'{directory}' is not a run directory: it has neither {RunDirectoryReader.LogFileName} nor {RunDirectoryReader.StoreFileName}.");
        }
        var steps = RunReportData.Steps(runs);
        foreach (var step in steps.Where(s => s.IsTask && s.Stored))
        {
            step.Rows = File.Exists(store)
                ? await RunReportData.ReadTaskRowsAsync(store, step, options.SampleRows, options.Examples, cancellationToken).ConfigureAwait(false)
                : new StoredTaskRows();
        }
        var html = Render(directory, runs, steps, options);
        var output = Path.GetFullPath(outputPath ?? Path.Combine(directory, "report.html"));
        Directory.CreateDirectory(Path.GetDirectoryName(output)!);
        await SafeFile.ReplaceAsync(output, (file, token) => file.WriteAsync(new UTF8Encoding(false).GetBytes(html), token).AsTask(), cancellationToken).ConfigureAwait(false);
        return output;
    }

    private const string Style = """
        body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:0 auto;max-width:1200px;padding:16px 24px;color:#1f2328;background:#fff}
        h1{font-size:22px;margin:8px 0}h2{font-size:18px;margin:28px 0 8px;border-bottom:1px solid #d0d7de;padding-bottom:4px}h3{font-size:15px;margin:16px 0 6px}
        table{border-collapse:collapse;margin:6px 0}td,th{border:1px solid #d0d7de;padding:3px 8px;text-align:left;vertical-align:top}th{background:#f6f8fa}
        td.n{text-align:right;font-variant-numeric:tabular-nums}.muted{color:#656d76}.facts span{margin-right:18px}
        .charts{display:flex;flex-wrap:wrap;gap:14px}.chart{border:1px solid #d0d7de;border-radius:6px;padding:6px 8px}
        .chart h4{margin:0 0 4px;font-size:13px}pre{white-space:pre-wrap;word-break:break-word;margin:0;max-height:240px;overflow:auto;font-size:12px}
        details{margin:4px 0}tr.failed td:first-child{border-left:4px solid #cf222e}tr.unparsed td:first-child{border-left:4px solid #bf8700}
        .filter button{margin-right:6px;padding:3px 10px;border:1px solid #d0d7de;border-radius:6px;background:#f6f8fa;cursor:pointer}
        .filter button.on{background:#0969da;color:#fff}svg text{font-family:system-ui,sans-serif;font-size:11px;fill:#1f2328}
        @media print{.filter{display:none}pre{max-height:none}}
        """;

    private const string Script = """
        document.querySelectorAll('.filter').forEach(function (bar) {
          var table = document.getElementById(bar.dataset.table);
          bar.querySelectorAll('button').forEach(function (button) {
            button.addEventListener('click', function () {
              bar.querySelectorAll('button').forEach(function (b) { b.classList.toggle('on', b === button); });
              var show = button.dataset.show;
              table.querySelectorAll('tbody tr').forEach(function (row) {
                row.hidden = show !== 'all' && row.dataset.status !== show;
              });
            });
          });
        });
        """;

    private static string Render(string directory, IReadOnlyList<System.Text.Json.Nodes.JsonObject> runs, IReadOnlyList<ReportStep> steps, RunReportOptions options)
    {
        var latest = runs[^1];
        var name = (string?)latest["pipeline"] ?? "pipeline";
        var seconds = runs.Sum(r => (double?)r["elapsed_s"] ?? 0);
        var tasks = steps.Where(s => s.IsTask).ToList();
        var totalCost = tasks.Select(t => options.Prices?.Cost(t.Model, t.InputTokens, t.OutputTokens)).ToList();
        var html = new StringBuilder(64 * 1024);
        html.Append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">")
            .Append("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src '").Append(Hash(Style))
            .Append("'; script-src '").Append(Hash(Script)).Append("'; img-src 'none'; base-uri 'none'; form-action 'none'\">")
            .Append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">")
            .Append("<title>").Append(E($"Run report: {name}")).Append("</title><style>").Append(Style).Append("</style></head><body>\n");
        html.Append("<h1>Run report: ").Append(E(name)).Append("</h1>\n<p class=\"facts\">")
            .Append("<span>Run directory <code>").Append(E(directory)).Append("</code></span>")
            .Append("<span data-testid=\"runs\">").Append(runs.Count).Append(runs.Count == 1 ? " run" : " runs").Append("</span>")
            .Append("<span>latest: ").Append(E((string?)latest["outcome"] ?? "?")).Append(", ").Append(E((string?)latest["started"] ?? "")).Append("</span>")
            .Append("<span>time ").Append(Duration(seconds)).Append("</span>");
        if (totalCost.Any(c => c is not null)) html.Append("<span>cost ").Append(Money(totalCost.Sum(c => c ?? 0))).Append(totalCost.Any(c => c is null) ? " (models without a price left out)" : "").Append("</span>");
        html.Append("</p>\n");
        if ((string?)latest["error"] is { } error) html.Append("<p><b>The latest run failed:</b> ").Append(E(error)).Append("</p>\n");
        var unfinished = runs.Count(r => (string?)r["outcome"] == RunDirectoryReader.UnfinishedOutcome);
        if (unfinished > 0)
        {
            html.Append("<p data-testid=\"unfinished\">").Append(unfinished).Append(unfinished == 1 ? " run has" : " runs have")
                .Append(" no end in the run log: killed, or still running. Their calls, tokens and time are those of the rows they committed; ")
                .Append("calls in flight when they stopped are not counted (their rows were not kept, and the next run asks them again).</p>\n");
        }

        html.Append("<h2>Pipeline</h2>\n").Append(Graph(steps));
        html.Append("<table><thead><tr><th>Step</th><th>Kind</th><th>After</th><th>Rows in</th><th>Rows out</th><th>Time</th></tr></thead><tbody>\n");
        foreach (var step in steps)
        {
            html.Append("<tr data-step=\"").Append(E(step.Name)).Append("\"><td>").Append(E(step.Name)).Append("</td><td>").Append(E(step.Task ?? step.Kind))
                .Append("</td><td>").Append(E(string.Join(", ", step.Parents))).Append("</td><td class=\"n\">").Append(N(step.RowsIn))
                .Append("</td><td class=\"n\">").Append(N(step.RowsOut)).Append("</td><td class=\"n\">").Append(Duration(step.Seconds)).Append("</td></tr>\n");
        }
        html.Append("</tbody></table>\n");

        foreach (var dedup in steps.Where(s => s.Kind == "dedup")) DuplicatesSection(html, directory, dedup, options);
        foreach (var task in tasks) TaskSection(html, task, options);

        html.Append("<p class=\"muted\">Made by Distil from ").Append(E(RunDirectoryReader.LogFileName)).Append(" and ").Append(E(RunDirectoryReader.StoreFileName))
            .Append(". Counts of calls, tokens and time add up every run of this directory; the dataset's counts are those of its rows now.</p>\n");
        html.Append("<script>").Append(Script).Append("</script></body></html>\n");
        return html.ToString();
    }

    // What a deduplication step dropped in the latest run: the count and the first rows, each with the row it repeats.
    private static void DuplicatesSection(StringBuilder html, string directory, ReportStep step, RunReportOptions options)
    {
        var path = Path.Combine(directory, $"duplicates-{step.Name}.jsonl");
        if (!File.Exists(path)) return;
        var count = 0L;
        var first = new List<System.Text.Json.Nodes.JsonObject>();
        foreach (var line in File.ReadLines(path))
        {
            if (string.IsNullOrWhiteSpace(line)) continue;
            count++;
            if (first.Count < options.SampleRows && System.Text.Json.Nodes.JsonNode.Parse(line) is System.Text.Json.Nodes.JsonObject entry) first.Add(entry);
        }
        html.Append("<section class=\"dedup\" data-step=\"").Append(E(step.Name)).Append("\">\n<h2>Duplicates dropped by ").Append(E(step.Name))
            .Append("</h2>\n<p><span data-stat=\"duplicates\">").Append(N(count)).Append("</span> rows dropped in the latest run, each a repeat of an earlier kept row (<code>")
            .Append(E(Path.GetFileName(path))).Append("</code>).</p>\n");
        if (first.Count > 0)
        {
            var similarity = first.Any(d => d["similarity"] is not null);
            html.Append("<table class=\"duplicates\"><thead><tr><th>Row</th><th>Repeats row</th><th>Method</th>").Append(similarity ? "<th>Similarity</th>" : "").Append("</tr></thead><tbody>\n");
            foreach (var entry in first)
            {
                html.Append("<tr><td>").Append(E((string?)entry["key"] ?? "")).Append("</td><td>").Append(E((string?)entry["duplicate_of"] ?? ""))
                    .Append("</td><td>").Append(E((string?)entry["method"] ?? "")).Append("</td>");
                if (similarity) html.Append("<td class=\"n\">").Append(entry["similarity"] is { } value ? ((double)value).ToString("0.000", Invariant) : "").Append("</td>");
                html.Append("</tr>\n");
            }
            html.Append("</tbody></table>\n");
            if (count > first.Count) html.Append("<p class=\"muted\">The first ").Append(first.Count).Append(" of ").Append(N(count)).Append(".</p>\n");
        }
        html.Append("</section>\n");
    }

    private static void TaskSection(StringBuilder html, ReportStep task, RunReportOptions options)
    {
        var rows = task.Rows ?? new StoredTaskRows();
        var id = "task-" + Slug(task.Name);
        html.Append("<section class=\"task\" id=\"").Append(id).Append("\" data-step=\"").Append(E(task.Name)).Append("\">\n<h2>Task ").Append(E(task.Name))
            .Append(" <span class=\"muted\">").Append(E(task.Task ?? "")).Append(task.Model is null ? "" : " · " + E(task.Model)).Append("</span></h2>\n");
        var cost = options.Prices?.Cost(task.Model, task.InputTokens, task.OutputTokens);
        html.Append("<table class=\"stats\"><tbody>\n");
        Stat(html, "rows", "Rows in the dataset", N(rows.Rows));
        Stat(html, "generations", "Generations", N(rows.Generations));
        Stat(html, "failed-generations", "Generations whose call failed", N(rows.FailedGenerations));
        Stat(html, "unparsed-generations", "Answers that could not be read", N(rows.UnparsedGenerations));
        Stat(html, "rejected-generations", "Answers that broke a rule", N(rows.RejectedGenerations));
        Stat(html, "calls", "Calls answered (all runs)", N(task.Calls));
        Stat(html, "failed-calls", "Calls failed after retries (all runs)", N(task.FailedCalls));
        if (task.UnfinishedRuns > 0)
        {
            // A task step works on twice its concurrency in rows at once (TaskNode.RowsInProgress):
            // its calls in flight, and as many rows answered and waiting for their group commit.
            Stat(html, "uncounted", "Rows in flight or waiting for their commit when an unfinished run stopped (their calls are not counted)",
                task.MaxConcurrency is { } most ? "at most " + N(2L * most * task.UnfinishedRuns) : "unknown");
        }
        Stat(html, "retries", "Retries", N(task.Retries));
        Stat(html, "cache-hits", "Cache hits", N(task.CacheHits));
        Stat(html, "answers-reused", "Answers reused from the run directory (not paid again)", N(task.AnswersReused));
        Stat(html, "input-tokens", "Input tokens", N(task.InputTokens));
        Stat(html, "output-tokens", "Output tokens", N(task.OutputTokens));
        var p50 = task.Latency.Percentile(0.5);
        Stat(html, "latency", "Call latency p50 / p90 / p99",
            p50 is null ? "no calls" : $"{Ms(p50)} / {Ms(task.Latency.Percentile(0.9))} / {Ms(task.Latency.Percentile(0.99))}");
        Stat(html, "cost", "Cost", cost is { } dollars ? Money(dollars) : options.Prices is null ? "no prices given" : "no price for this model");
        if (task.Concurrency is { } concurrency)
        {
            Stat(html, "concurrency", "Concurrency limit (adaptive, the model's): at the end / highest / ceiling",
                $"{N(concurrency.Limit)} / {N(concurrency.Limits.Select(l => (long)l.Limit).DefaultIfEmpty(concurrency.Limit).Max())} / {(concurrency.Ceiling is { } ceiling ? N(ceiling) : "none")}");
            Stat(html, "refusals", "Calls the model refused (429, 503) or let time out", N(concurrency.Refusals));
        }
        html.Append("</tbody></table>\n");
        if (task.Concurrency is { Limits.Count: > 1 } series)
        {
            html.Append("<h3>Concurrency limit over time</h3>\n").Append(ReportCharts.LimitOverTime(series.Limits));
        }

        if (rows.FailureReasons.Count > 0)
        {
            html.Append("<h3>Failed calls by reason</h3><table class=\"reasons\"><thead><tr><th>Reason</th><th>Generations</th></tr></thead><tbody>\n");
            foreach (var (reason, count) in rows.FailureReasons.OrderByDescending(r => r.Value).ThenBy(r => r.Key, StringComparer.Ordinal))
            {
                html.Append("<tr><td>").Append(E(reason)).Append("</td><td class=\"n\">").Append(N(count)).Append("</td></tr>\n");
            }
            html.Append("</tbody></table>\n");
        }
        if (rows.UnparsedExamples.Count > 0)
        {
            html.Append("<h3>Answers that did not fit</h3>\n");
            foreach (var (reason, raw) in rows.UnparsedExamples)
            {
                html.Append("<details class=\"example\"><summary>").Append(E(reason)).Append("</summary><pre>").Append(E(raw ?? "(no raw answer kept)")).Append("</pre></details>\n");
            }
        }

        if (rows.Columns.Count > 0)
        {
            html.Append("<h3>Output columns</h3><div class=\"charts\">\n");
            foreach (var column in rows.Columns) html.Append(ReportCharts.Column(column));
            html.Append("</div>\n");
        }

        if (rows.Sample.Count > 0)
        {
            var tableId = id + "-rows";
            html.Append("<h3>Rows</h3><div class=\"filter\" data-table=\"").Append(tableId).Append("\">")
                .Append("<button class=\"on\" data-show=\"all\">All</button><button data-show=\"failed\">Failed</button><button data-show=\"unparsed\">Unparsed</button></div>\n");
            html.Append("<table class=\"rows\" id=\"").Append(tableId).Append("\"><thead><tr><th>#</th><th>Input</th><th>Prompt</th><th>Answer</th><th>Output</th></tr></thead><tbody>\n");
            foreach (var row in rows.Sample)
            {
                html.Append("<tr class=\"").Append(row.Status).Append("\" data-status=\"").Append(row.Status).Append("\"><td class=\"n\">").Append(row.Index).Append("</td><td>");
                Fields(html, row.Inputs);
                html.Append("</td><td><pre>").Append(E(row.Prompt ?? "")).Append("</pre></td><td><pre>").Append(E(row.Answer ?? "")).Append("</pre>");
                if (row.Problem is not null) html.Append("<p class=\"muted\">").Append(E(row.Problem)).Append("</p>");
                html.Append("</td><td>");
                Fields(html, row.Outputs);
                html.Append("</td></tr>\n");
            }
            html.Append("</tbody></table>\n");
        }
        html.Append("</section>\n");
    }

    private static void Fields(StringBuilder html, IReadOnlyList<(string Name, string Value)> fields)
    {
        foreach (var (name, value) in fields)
        {
            html.Append("<div><b>").Append(E(name)).Append("</b>: <pre>").Append(E(value.Length > 2000 ? value[..2000] + " …" : value)).Append("</pre></div>");
        }
    }

    private static void Stat(StringBuilder html, string key, string label, string value) =>
        html.Append("<tr><th>").Append(E(label)).Append("</th><td class=\"n\" data-stat=\"").Append(key).Append("\">").Append(E(value)).Append("</td></tr>\n");

    // The steps as boxes in columns by depth, with their rows and time; edges from parent to child.
    private static string Graph(IReadOnlyList<ReportStep> steps)
    {
        const int width = 190, height = 58, gapX = 50, gapY = 16;
        var depth = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var step in steps) depth[step.Name] = step.Parents.Count == 0 ? 0 : step.Parents.Max(p => depth.GetValueOrDefault(p)) + 1;
        var columns = steps.GroupBy(s => depth[s.Name]).ToDictionary(g => g.Key, g => g.ToList());
        var position = new Dictionary<string, (int X, int Y)>(StringComparer.Ordinal);
        foreach (var (level, members) in columns)
        {
            for (var i = 0; i < members.Count; i++) position[members[i].Name] = (8 + level * (width + gapX), 8 + i * (height + gapY));
        }
        var svgWidth = 16 + (columns.Keys.DefaultIfEmpty(0).Max() + 1) * (width + gapX);
        var svgHeight = 16 + columns.Values.DefaultIfEmpty([]).Max(c => c.Count) * (height + gapY);
        var svg = new StringBuilder();
        svg.Append("<svg class=\"graph\" role=\"img\" aria-label=\"pipeline graph\" width=\"").Append(svgWidth).Append("\" height=\"").Append(svgHeight)
            .Append("\" viewBox=\"0 0 ").Append(svgWidth).Append(' ').Append(svgHeight).Append("\" xmlns=\"http://www.w3.org/2000/svg\">\n");
        foreach (var step in steps)
        {
            foreach (var parent in step.Parents.Where(position.ContainsKey))
            {
                var (px, py) = position[parent];
                var (cx, cy) = position[step.Name];
                svg.Append("<line x1=\"").Append(px + width).Append("\" y1=\"").Append(py + height / 2).Append("\" x2=\"").Append(cx).Append("\" y2=\"").Append(cy + height / 2)
                    .Append("\" stroke=\"#8c959f\" stroke-width=\"1.5\"/>\n");
            }
        }
        foreach (var step in steps)
        {
            var (x, y) = position[step.Name];
            svg.Append("<g class=\"node\" data-step=\"").Append(E(step.Name)).Append("\"><rect x=\"").Append(x).Append("\" y=\"").Append(y).Append("\" width=\"").Append(width)
                .Append("\" height=\"").Append(height).Append("\" rx=\"6\" fill=\"").Append(step.IsTask ? "#ddf4ff" : "#f6f8fa").Append("\" stroke=\"#54aeff\"/>")
                .Append("<text x=\"").Append(x + 8).Append("\" y=\"").Append(y + 17).Append("\" font-weight=\"bold\">").Append(E(Clip(step.Name, 28))).Append("</text>")
                .Append("<text x=\"").Append(x + 8).Append("\" y=\"").Append(y + 33).Append("\">").Append(E(Clip(step.Task ?? step.Kind, 30))).Append("</text>")
                .Append("<text x=\"").Append(x + 8).Append("\" y=\"").Append(y + 49).Append("\">").Append(N(step.RowsIn)).Append(" → ").Append(N(step.RowsOut))
                .Append(" rows · ").Append(Duration(step.Seconds)).Append("</text></g>\n");
        }
        return svg.Append("</svg>\n").ToString();
    }

    private static string Clip(string text, int length) => text.Length <= length ? text : text[..(length - 1)] + "…";

    private static string Slug(string text) => new(text.Select(c => char.IsAsciiLetterOrDigit(c) ? char.ToLowerInvariant(c) : '-').ToArray());

    private static string Hash(string text) => "sha256-" + Convert.ToBase64String(SHA256.HashData(Encoding.UTF8.GetBytes(text)));

    internal static string E(string text) => WebUtility.HtmlEncode(text);

    internal static string N(long value) => value.ToString("N0", Invariant);

    private static string Ms(TimeSpan? duration) => duration is { } d ? d.TotalMilliseconds < 1000 ? $"{d.TotalMilliseconds.ToString("0", Invariant)} ms" : $"{d.TotalSeconds.ToString("0.0", Invariant)} s" : "-";

    private static string Money(decimal dollars) => PriceTable.FormatDollars(dollars);

    private static string Duration(double seconds) => seconds < 60 ? seconds.ToString("0.0", Invariant) + " s" : TimeSpan.FromSeconds(seconds).ToString(@"h\:mm\:ss", Invariant);
}
