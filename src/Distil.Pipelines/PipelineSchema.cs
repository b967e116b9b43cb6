using System.Collections;
using System.Text;

namespace Distil.Pipelines;

/// <summary>The columns and types of one step's rows, known before the first call (null where the data is empty).</summary>
/// <param name="Step">The step's name.</param>
/// <param name="Kind">What the step is: <c>load</c>, <c>task</c>, <c>keep_columns</c>…</param>
/// <param name="Columns">Its rows' columns, in order, with their types.</param>
public sealed record StepSchema(string Step, string Kind, RowSchema? Columns);

/// <summary>Every step of a validated pipeline with the schema of its rows, in run order (see <see cref="Pipeline.ValidateAsync"/>).</summary>
public sealed class PipelineSchema : IReadOnlyList<StepSchema>
{
    private readonly IReadOnlyList<StepSchema> _steps;

    internal PipelineSchema(IReadOnlyList<StepSchema> steps) => _steps = steps;

    /// <inheritdoc/>
    public int Count => _steps.Count;

    /// <inheritdoc/>
    public StepSchema this[int index] => _steps[index];

    /// <summary>The schema of the step named <paramref name="step"/>.</summary>
    /// <exception cref="KeyNotFoundException">No step has that name.</exception>
    public StepSchema this[string step] =>
        _steps.FirstOrDefault(s => s.Step == step) ?? throw new KeyNotFoundException($"The pipeline has no step '{step}'; its steps are {string.Join(", ", _steps.Select(s => s.Step))}.");

    /// <inheritdoc/>
    public IEnumerator<StepSchema> GetEnumerator() => _steps.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    /// <summary>Each step as <c>step (kind)</c>, then its columns indented, one per line.</summary>
    public override string ToString()
    {
        var text = new StringBuilder();
        foreach (var step in _steps)
        {
            text.Append(step.Step).Append(" (").Append(step.Kind).Append(')').Append('\n');
            if (step.Columns is null)
            {
                text.Append("  (no rows: unknown)\n");
                continue;
            }
            foreach (var column in step.Columns) text.Append("  ").Append(column).Append('\n');
        }
        return text.ToString().TrimEnd('\n');
    }
}
