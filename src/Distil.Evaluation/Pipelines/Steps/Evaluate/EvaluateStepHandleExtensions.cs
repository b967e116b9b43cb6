using Microsoft.Extensions.AI.Evaluation;

namespace Distil.Pipelines;

/// <summary>The <c>evaluate</c> step: any Microsoft.Extensions.AI.Evaluation <see cref="IEvaluator"/> over each row (<see cref="Evaluate"/>).</summary>
public static class EvaluateStepHandleExtensions
{
    /// <summary>
    /// Runs a Microsoft.Extensions.AI.Evaluation <see cref="IEvaluator"/> on each row, with
    /// <paramref name="request"/> as the user's message and <paramref name="response"/> as the
    /// model's answer. Each metric the evaluator names becomes a typed column (snake_case:
    /// <c>Coherence</c> is <c>coherence</c>; numbers unless <see cref="EvaluateOptions.MetricTypes"/>
    /// says otherwise) with <c>&lt;metric&gt;_reason</c>, and its diagnostics go to
    /// <see cref="EvaluateOptions.DiagnosticsColumn"/>. Results are kept in the run store: a resumed
    /// run evaluates only rows it has no result for.
    /// </summary>
    /// <example><c>pipeline.Load(rows).Evaluate(new CoherenceEvaluator(), "question", "answer", new EvaluateOptions { ChatClient = judge })</c></example>
    /// <exception cref="ArgumentException">The evaluator names no metric, or the options name a metric it does not report.</exception>
    public static StepHandle Evaluate(this StepHandle step, IEvaluator evaluator, string request, string response,
        EvaluateOptions? options = null, string? name = null)
    {
        // No ReadsColumn/WritesColumn on the parameters on purpose: the metric columns come from the
        // evaluator, so the analyzer must take the chain after this step as unknown, not unchanged.
        ArgumentNullException.ThrowIfNull(step);
        ArgumentNullException.ThrowIfNull(evaluator);
        ArgumentException.ThrowIfNullOrWhiteSpace(request);
        ArgumentException.ThrowIfNullOrWhiteSpace(response);
        options ??= new EvaluateOptions();
        options.Validate();
        return step.Then(new EvaluateStep(name ?? step.Pipeline.NewStepName("evaluate"), evaluator, request, response, options));
    }
}
