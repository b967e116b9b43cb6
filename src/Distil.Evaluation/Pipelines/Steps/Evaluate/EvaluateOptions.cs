using Distil.Mapping;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.AI.Evaluation;

namespace Distil.Pipelines;

/// <summary>Settings of an evaluation step (<see cref="EvaluateStepHandleExtensions.Evaluate"/>).</summary>
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
