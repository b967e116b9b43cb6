using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Distil.Mapping;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.AI.Evaluation;

namespace Distil.Pipelines;

/// <summary>Settings of an evaluation step (<see cref="StepHandle.Evaluate"/>).</summary>
public sealed record EvaluateOptions
{
    /// <summary>
    /// The chat client an LLM-based evaluator judges with (its <see cref="ChatConfiguration"/>);
    /// null for evaluators that need none.
    /// </summary>
    public IChatClient? ChatClient { get; init; }

    /// <summary>
    /// The type of each metric's column, by metric name: <see cref="ColumnType.Number"/> (the
    /// default, for <see cref="NumericMetric"/>), <see cref="ColumnType.Boolean"/>
    /// (<see cref="BooleanMetric"/>) or <see cref="ColumnType.String"/> (<see cref="StringMetric"/>).
    /// </summary>
    public IReadOnlyDictionary<string, ColumnType> MetricTypes { get; init; } = new Dictionary<string, ColumnType>();

    /// <summary>
    /// Columns passed to the evaluator as <see cref="EvaluationContext"/>s named after the column
    /// (their text as the context's content).
    /// </summary>
    public IReadOnlyList<string> ContextColumns { get; init; } = [];

    /// <summary>Rows evaluated at once (default 4).</summary>
    public int MaxConcurrency { get; init; } = 4;

    /// <summary>The column of the diagnostics the evaluator reported, one string each (default <c>evaluation_diagnostics</c>).</summary>
    public string DiagnosticsColumn { get; init; } = "evaluation_diagnostics";

    /// <summary>Checks the values, naming the one that is wrong.</summary>
    public void Validate()
    {
        if (MaxConcurrency < 1) throw new ArgumentOutOfRangeException(nameof(MaxConcurrency), MaxConcurrency, "MaxConcurrency must be 1 or more.");
        ArgumentException.ThrowIfNullOrWhiteSpace(DiagnosticsColumn, nameof(DiagnosticsColumn));
        foreach (var (metric, type) in MetricTypes)
        {
            if (type.Kind is not (ColumnKind.Number or ColumnKind.Integer or ColumnKind.Boolean or ColumnKind.String))
            {
                throw new ArgumentException($"Metric '{metric}' is declared {type}: a metric's column is a number, a boolean or a string.", nameof(MetricTypes));
            }
        }
    }
}

/// <summary>
/// Runs a Microsoft.Extensions.AI.Evaluation <see cref="IEvaluator"/> on each row: the request
/// column is the user's message, the response column the model's answer; every metric the evaluator
/// names becomes a typed column (its snake_case name) with <c>&lt;metric&gt;_reason</c> beside it,
/// and the diagnostics go into one list column. Results are committed to the run store, so a
/// resumed run evaluates nothing twice. An evaluation that throws leaves nulls and its error as a
/// diagnostic, like a failed call in a task.
/// </summary>
internal sealed class EvaluateNode : PipelineStep
{
    private readonly IEvaluator _evaluator;
    private readonly string _request;
    private readonly string _response;
    private readonly EvaluateOptions _options;
    private readonly IReadOnlyList<(string Metric, string Column, ColumnType Type)> _metrics;

    public EvaluateNode(string name, IEvaluator evaluator, string request, string response, EvaluateOptions options) : base(name)
    {
        _evaluator = evaluator;
        _request = request;
        _response = response;
        _options = options;
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

    internal override async Task RunAsync(StepRun run)
    {
        var configuration = _options.ChatClient is { } client ? new ChatConfiguration(client) : null;
        var window = OrderedWindow.RunAsync(run.ReadAsync(cancellationToken: run.Cancellation), OrderedWindow.CapacityFor(_options.MaxConcurrency), _options.MaxConcurrency,
            async (input, index, token) =>
            {
                var stored = run.Replay(input.Key);
                return (Input: input, Index: index, Stored: stored, Result: stored is null ? await EvaluateAsync(input, configuration, token).ConfigureAwait(false) : null);
            },
            run.Cancellation);
        await foreach (var (input, index, stored, result) in window.ConfigureAwait(false))
        {
            if (stored is not null)
            {
                await run.EmitAsync(stored).ConfigureAwait(false);
                continue;
            }
            IReadOnlyList<KeyedRow> outputs = [input with { Row = result! }];
            await run.SaveAsync(input.Key, index, outputs).ConfigureAwait(false);
            await run.EmitAsync(outputs).ConfigureAwait(false);
        }
    }

    private async Task<JsonObject> EvaluateAsync(KeyedRow input, ChatConfiguration? configuration, CancellationToken cancellationToken)
    {
        var row = input.Row;
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

/// <summary>A row's column handed to an evaluator as context, named after the column.</summary>
public sealed class ColumnContext(string name, string text) : EvaluationContext(name, text);
