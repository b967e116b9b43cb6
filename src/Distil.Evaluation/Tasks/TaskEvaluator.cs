using System.Globalization;
using System.Text.Json.Nodes;
using Distil.Mapping;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.AI.Evaluation;

namespace Distil;

/// <summary>How <see cref="TaskEvaluatorExtensions.AsEvaluator"/> turns a conversation into the task's input row.</summary>
public sealed record TaskEvaluatorOptions
{
    /// <summary>
    /// The input column that receives the user's request (the text of the last user message).
    /// Default: the first of <c>instruction</c>, <c>prompt</c>, <c>question</c>, <c>input</c>,
    /// <c>query</c> that the task reads.
    /// </summary>
    public string? RequestColumn { get; init; }

    /// <summary>
    /// The input column that receives the model's response (as a one-item list when the column is a
    /// list, as UltraFeedback's <c>generations</c> is). Default: the first of <c>generation</c>,
    /// <c>generations</c>, <c>response</c>, <c>responses</c>, <c>completion</c>, <c>answer</c>,
    /// <c>output</c> that the task reads.
    /// </summary>
    public string? ResponseColumn { get; init; }

    /// <summary>
    /// Builds the input row instead (for tasks whose inputs are not a request and a response).
    /// Additional contexts named after input columns are still added to the row it returns.
    /// </summary>
    public Func<IEnumerable<ChatMessage>, ChatResponse, JsonObject>? BuildRow { get; init; }
}

/// <summary>
/// A Distil task as a Microsoft.Extensions.AI.Evaluation <see cref="IEvaluator"/>: the judges
/// (UltraFeedback, Prometheus, the scorers, or any task of your own) score a response inside the
/// evaluation tooling .NET teams already use. The task's numeric, boolean and label outputs are the
/// metrics (by column name); when it also writes one text column, or one named <c>rationale(s)</c>,
/// <c>feedback</c>, <c>reason(s)</c>, <c>explanation</c> or <c>critique</c>, that text is every
/// metric's <see cref="EvaluationMetric.Reason"/> instead of a metric. The judge is the chat client of
/// the <see cref="ChatConfiguration"/>, or the task's own <see cref="LlmTask.Llm"/>. A failed call
/// or an answer that cannot be read gives metrics without values and an error diagnostic.
/// Additional <see cref="EvaluationContext"/>s whose name is an input column fill that column
/// (for example a reference answer).
/// </summary>
public sealed class TaskEvaluator : IEvaluator
{
    private static readonly string[] RequestNames = ["instruction", "prompt", "question", "input", "query"];
    private static readonly string[] ReasonNames = ["rationale", "rationales", "feedback", "reason", "reasons", "explanation", "critique"];
    private static readonly string[] ResponseNames = ["generation", "generations", "response", "responses", "completion", "answer", "output"];

    private readonly LlmTask _task;
    private readonly TaskEvaluatorOptions _options;
    private readonly Column? _request;
    private readonly Column? _response;
    private readonly IReadOnlyList<Column> _metrics;
    private readonly Column? _reason;

    /// <summary>Wraps <paramref name="task"/>; see <see cref="TaskEvaluator"/>.</summary>
    /// <exception cref="ArgumentException">The task has no request or response column to fill, or no output a metric can hold.</exception>
    public TaskEvaluator(LlmTask task, TaskEvaluatorOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(task);
        _task = task;
        _options = options ??= new TaskEvaluatorOptions();
        var inputs = task.InputSchema;
        if (options.BuildRow is null)
        {
            _response = Pick(inputs, options.ResponseColumn, ResponseNames, "ResponseColumn", "the response");
            _request = Pick(inputs, options.RequestColumn, RequestNames.Where(n => n != _response.Name), "RequestColumn", "the request");
        }
        var outputs = task.OutputSchema.ToList();
        var texts = outputs.Where(c => IsText(Scalar(c.Type))).ToList();
        var measures = outputs.Where(c => Scalar(c.Type).Kind is ColumnKind.Number or ColumnKind.Integer or ColumnKind.Boolean).ToList();
        // The text that explains the scores: the only text output, or the one named as such.
        _reason = measures.Count == 0 ? null
            : texts.Count == 1 ? texts[0]
            : texts.FirstOrDefault(c => ReasonNames.Any(r => c.Name.Equals(r, StringComparison.OrdinalIgnoreCase)));
        _metrics = outputs.Where(c => c != _reason && Scalar(c.Type).Kind is not (ColumnKind.Struct or ColumnKind.Json or ColumnKind.Unknown)).ToList();
        if (_metrics.Count == 0)
        {
            throw new ArgumentException($"Task '{task.Name}' writes no number, boolean or text ({task.OutputSchema}): nothing to report as a metric.", nameof(task));
        }
        EvaluationMetricNames = _metrics.Select(c => c.Name).ToArray();
    }

    /// <summary>The task's output columns that become metrics.</summary>
    public IReadOnlyCollection<string> EvaluationMetricNames { get; }

    /// <inheritdoc/>
    public async ValueTask<EvaluationResult> EvaluateAsync(
        IEnumerable<ChatMessage> messages, ChatResponse modelResponse, ChatConfiguration? chatConfiguration = null,
        IEnumerable<EvaluationContext>? additionalContext = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(messages);
        ArgumentNullException.ThrowIfNull(modelResponse);
        var llm = chatConfiguration?.ChatClient ?? _task.Llm ?? throw new InvalidOperationException(
            $"Task '{_task.Name}' has no LLM to judge with: pass a ChatConfiguration, or set the task's Llm.");
        if (_task.NumGenerations != 1)
        {
            throw new InvalidOperationException($"Task '{_task.Name}' asks for {_task.NumGenerations} generations; as an evaluator it gives one judgement, so set NumGenerations to 1.");
        }
        var row = _options.BuildRow?.Invoke(messages, modelResponse) ?? DefaultRow(messages, modelResponse);
        foreach (var context in additionalContext ?? [])
        {
            if (_task.InputSchema.Find(context.Name) is not null)
            {
                row[context.Name] = string.Concat(context.Contents.OfType<TextContent>().Select(t => t.Text));
            }
        }

        // The same row path as a pipeline's task step: a failed call or an unread answer is in the metadata.
        var output = (await _task.ProcessRowAsync(row, llm, cancellationToken).ConfigureAwait(false))[0];
        return Result(output);
    }

    private JsonObject DefaultRow(IEnumerable<ChatMessage> messages, ChatResponse response)
    {
        var request = messages.LastOrDefault(m => m.Role == ChatRole.User)?.Text
            ?? throw new ArgumentException("The conversation has no user message to take the request from.", nameof(messages));
        JsonNode? answer = _response!.Type.Kind == ColumnKind.List ? new JsonArray(response.Text) : JsonValue.Create(response.Text);
        return new JsonObject { [_request!.Name] = request, [_response.Name] = answer };
    }

    private EvaluationResult Result(JsonObject output)
    {
        var metadata = output[_task.MetadataColumn] as JsonObject;
        var failedCall = (string?)metadata?["error_" + _task.Name];
        var unreadable = (string?)metadata?["output_error_" + _task.Name];
        var reason = _reason is null ? null : First(output[_reason.Name]) is { } text ? JsonNodeRead.Text(text) : null;
        var result = new EvaluationResult(_metrics.Select(column => Metric(column, First(output[column.Name]), reason)));
        var answered = _metrics.Any(c => First(output[c.Name]) is not null);
        if (failedCall is not null || unreadable is not null || !answered)
        {
            // A failed call has no answer to show; an unread one is shown, so the reader sees what the judge said.
            result.AddDiagnosticsToAllMetrics(EvaluationDiagnostic.Error(failedCall is not null
                ? $"Task '{_task.Name}': {failedCall}"
                : $"Task '{_task.Name}': {unreadable ?? "the judge's answer could not be read"}; the answer: {Shorten((string?)metadata?["raw_output_" + _task.Name])}"));
        }
        var details = new Dictionary<string, string>();
        if ((string?)output["model_name"] is { } model) details["model"] = model;
        if (metadata?["statistics_" + _task.Name] is JsonObject statistics)
        {
            foreach (var (key, value) in statistics) if (value is not null) details[key] = value.ToJsonString();
        }
        if (details.Count > 0) result.AddOrUpdateMetadataInAllMetrics(details);
        return result;
    }

    private static EvaluationMetric Metric(Column column, JsonNode? value, string? reason)
    {
        EvaluationMetric metric = Scalar(column.Type).Kind switch
        {
            ColumnKind.Number or ColumnKind.Integer => new NumericMetric(column.Name, JsonNodeRead.Double(value)),
            ColumnKind.Boolean => new BooleanMetric(column.Name, JsonNodeRead.Boolean(value)),
            _ => new StringMetric(column.Name, JsonNodeRead.Text(value)),
        };
        metric.Reason = reason;
        return metric;
    }

    // One response is judged: a list output (ratings of the generations) holds its one value.
    private static JsonNode? First(JsonNode? value) => value is JsonArray list ? (list.Count > 0 ? list[0] : null) : value;

    private static ColumnType Scalar(ColumnType type) => type.Kind == ColumnKind.List && type.Element is { } element ? element : type;

    private static bool IsText(ColumnType type) => type.Kind == ColumnKind.String && type.EnumValues is null;

    private static string Shorten(string? text) => text is null ? "(no answer)" : text.Length <= 200 ? text : text[..197] + "...";

    private Column Pick(RowSchema inputs, string? named, IEnumerable<string> usual, string option, string what)
    {
        if (named is not null)
        {
            return inputs.Find(named) ?? throw new ArgumentException(
                $"Task '{_task.Name}' reads no column '{named}' ({option}); it reads {string.Join(", ", inputs.Select(c => c.Name))}.{(Distil.Pipelines.DidYouMean.Closest(named, inputs.Select(c => c.Name)) is { } close ? $" Did you mean '{close}'?" : "")}", option);
        }
        return usual.Select(inputs.Find).FirstOrDefault(c => c is not null && IsText(Scalar(c.Type)))
            ?? throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                $"Task '{_task.Name}' reads {string.Join(", ", inputs.Select(c => c.Name))}: none is an obvious column for {what}. Name it with TaskEvaluatorOptions.{option}, or build the row with BuildRow."), option);
    }
}

/// <summary>A Distil task as a Microsoft.Extensions.AI.Evaluation <see cref="IEvaluator"/> (<see cref="AsEvaluator"/>).</summary>
public static class TaskEvaluatorExtensions
{
    /// <summary>
    /// <paramref name="task"/> as a Microsoft.Extensions.AI.Evaluation <see cref="IEvaluator"/> (see
    /// <see cref="TaskEvaluator"/>): a judge such as UltraFeedback scores one response and reports
    /// its outputs as metrics.
    /// </summary>
    /// <exception cref="ArgumentException">The task has no request or response column to fill, or no output a metric can hold.</exception>
    public static IEvaluator AsEvaluator(this LlmTask task, TaskEvaluatorOptions? options = null) => new TaskEvaluator(task, options);
}
