using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Distil.Mapping;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.AI.Evaluation;

namespace Distil.Pipelines;

/// <summary>
/// Runs a Microsoft.Extensions.AI.Evaluation <see cref="IEvaluator"/> on each row: the request
/// column is the user's message, the response column the model's answer; every metric the evaluator
/// names becomes a typed column (its snake_case name) with <c>&lt;metric&gt;_reason</c> beside it,
/// and the diagnostics go into one list column. Results are committed to the run store, so a
/// resumed run evaluates nothing twice. An evaluation that throws leaves nulls and its error as a
/// diagnostic, like a failed call in a task.
/// </summary>
internal sealed class EvaluateStep : RowStep
{
    private readonly IEvaluator _evaluator;
    private readonly string _request;
    private readonly string _response;
    private readonly EvaluateOptions _options;
    private readonly IReadOnlyList<(string Metric, string Column, ColumnType Type)> _metrics;
    private readonly ChatConfiguration? _configuration;

    public EvaluateStep(string name, IEvaluator evaluator, string request, string response, EvaluateOptions options) : base(name)
    {
        _evaluator = evaluator;
        _request = request;
        _response = response;
        _options = options;
        _configuration = options.ChatClient is { } client ? new ChatConfiguration(client) : null;
        var names = evaluator.EvaluationMetricNames;
        if (names is null || names.Count == 0)
        {
            throw new ArgumentException($"The evaluator {evaluator.GetType().Name} names no metrics (EvaluationMetricNames is empty): there would be no column to write.", nameof(evaluator));
        }
        foreach (var declared in options.MetricTypes.Keys.Where(k => !names.Contains(k)))
        {
            throw new ArgumentException($"MetricTypes names '{declared}', which {evaluator.GetType().Name} does not report (it reports {string.Join(", ", names.Select(n => $"'{n}'"))}).{(DidYouMean.Closest(declared, names) is { } closest ? $" Did you mean '{closest}'?" : "")}", nameof(options));
        }
        _metrics = names.Select(n => (n, ColumnName(n), options.MetricTypes.TryGetValue(n, out var type) ? type : ColumnType.Number)).ToList();
        var clash = _metrics.GroupBy(m => m.Column).FirstOrDefault(g => g.Count() > 1);
        if (clash is not null) throw new ArgumentException($"Metrics {string.Join(" and ", clash.Select(m => $"'{m.Metric}'"))} would share the column '{clash.Key}'.", nameof(evaluator));
    }

    public override string Kind => "evaluate";

    public override IReadOnlyList<string> RequiredColumns => [_request, _response, .. _options.ContextColumns];

    public override RowSchema? SchemaAfter(IReadOnlyList<RowSchema?> parents) => parents[0]?.With([
        .. _metrics.SelectMany(m => new[] { new Column(m.Column, m.Type), new Column(m.Column + "_reason", ColumnType.String) }),
        new Column(_options.DiagnosticsColumn, ColumnType.ListOf(ColumnType.String)),
    ]);

    public override string Settings() => string.Join('|', [
        _evaluator.GetType().FullName, _request, _response, .. _metrics.Select(m => $"{m.Metric}:{m.Type}"), .. _options.ContextColumns,
        _options.ChatClient?.GetService<ChatClientMetadata>()?.DefaultModelId ?? "", _options.DiagnosticsColumn,
    ]);

    /// <summary>
    /// A metric's column: snake_case as <see cref="JsonNamingPolicy.SnakeCaseLower"/> writes it (as
    /// typed rows name theirs), anything but letters and digits a word break: "Relevance (RTC)" is
    /// <c>relevance_rtc</c>.
    /// </summary>
    internal static string ColumnName(string metric)
    {
        var words = new string(metric.Select(c => char.IsLetterOrDigit(c) ? c : ' ').ToArray());
        var column = JsonNamingPolicy.SnakeCaseLower.ConvertName(words).Trim('_');
        return column.Length > 0 ? column : throw new ArgumentException($"The metric name '{metric}' has no letter or digit to name a column after.");
    }

    protected override int MaxConcurrency => _options.MaxConcurrency;

    // One row out per row in: the metrics' columns are added to it.
    protected override RowCountRule CountRows(RowCountContext input) => RowCountRule.Same();

    // Never called by a run (ApplyAsync is), nor by the estimate, which reads only Distil's own row steps.
    protected override IReadOnlyList<JsonObject> Apply(JsonObject row) =>
        throw new NotSupportedException($"Evaluation step '{Name}' waits on its evaluator: it runs through ApplyAsync only.");

    protected override async ValueTask<IReadOnlyList<JsonObject>> ApplyAsync(JsonObject row, CancellationToken cancellationToken) =>
        [await EvaluateAsync(row, _configuration, cancellationToken).ConfigureAwait(false)];

    private async Task<JsonObject> EvaluateAsync(JsonObject row, ChatConfiguration? configuration, CancellationToken cancellationToken)
    {
        var diagnostics = new List<string>();
        var request = JsonNodeRead.Text(row[_request]);
        var response = JsonNodeRead.Text(row[_response]);
        EvaluationResult? result = null;
        if (request is null || response is null)
        {
            diagnostics.Add($"error: no {(request is null ? $"request in '{_request}'" : $"response in '{_response}'")} to evaluate");
        }
        else
        {
            var context = _options.ContextColumns
                .Select(c => (Name: c, Text: JsonNodeRead.Text(row[c])))
                .Where(c => c.Text is not null)
                .Select(c => (EvaluationContext)new ColumnContext(c.Name, c.Text!))
                .ToList();
            try
            {
                result = await _evaluator.EvaluateAsync([new ChatMessage(ChatRole.User, request)], new ChatResponse(new ChatMessage(ChatRole.Assistant, response)),
                    configuration, context, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception error) when (error is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                diagnostics.Add($"error: {error.GetType().Name}: {error.Message}");
            }
        }
        foreach (var (metric, column, type) in _metrics)
        {
            JsonNode? value = null;
            string? reason = null;
            if (result is not null && result.Metrics.TryGetValue(metric, out var reported))
            {
                reason = reported.Reason;
                value = (reported, type.Kind) switch
                {
                    (NumericMetric { Value: { } number }, ColumnKind.Number) => JsonValue.Create(number),
                    (NumericMetric { Value: { } number }, ColumnKind.Integer) when number == Math.Floor(number) => JsonValue.Create((long)number),
                    (BooleanMetric { Value: { } flag }, ColumnKind.Boolean) => JsonValue.Create(flag),
                    (StringMetric { Value: { } text }, ColumnKind.String) => JsonValue.Create(text),
                    (NumericMetric { Value: null } or BooleanMetric { Value: null } or StringMetric { Value: null }, _) => null,
                    _ => Mismatch(reported, type, diagnostics),
                };
                foreach (var diagnostic in reported.Diagnostics ?? [])
                {
                    diagnostics.Add($"{diagnostic.Severity.ToString().ToLowerInvariant()}: {metric}: {diagnostic.Message}");
                }
            }
            else if (result is not null)
            {
                diagnostics.Add($"warning: the evaluator reported no '{metric}'");
            }
            row[column] = value;
            row[column + "_reason"] = reason;
        }
        row[_options.DiagnosticsColumn] = new JsonArray([.. diagnostics.Select(d => (JsonNode?)JsonValue.Create(d))]);
        return row;
    }

    private static JsonNode? Mismatch(EvaluationMetric reported, ColumnType declared, List<string> diagnostics)
    {
        diagnostics.Add(string.Create(CultureInfo.InvariantCulture,
            $"error: {reported.Name} came as a {reported.GetType().Name}, but its column is declared {declared} (set EvaluateOptions.MetricTypes)"));
        return null;
    }
}
