using System.Globalization;

namespace Distil.Pipelines;

/// <summary>What made a step recompute instead of replaying the rows it stored (see <see cref="StepRecompute"/>).</summary>
public enum RecomputeCause
{
    /// <summary>A setting changed (a task's parameter or generation option, a step's columns or condition).</summary>
    Settings,

    /// <summary>The model that answers changed.</summary>
    Model,

    /// <summary>The prompt the task renders changed (its template, with no setting to explain it).</summary>
    Prompt,

    /// <summary>The step's code changed: a function's body, a task's or step's declaration, its kind.</summary>
    Code,

    /// <summary>The step reads from other steps than before.</summary>
    Inputs,

    /// <summary>A step upstream changed, so the rows this step reads are not those it stored from.</summary>
    Upstream,

    /// <summary>The store does not say (it is from an older version of Distil, or the change is in a part it does not keep).</summary>
    Unrecorded,
}

/// <summary>
/// A step that recomputes in a run because its signature is not the one its stored rows were made
/// under: which step, why, and how many stored input rows it drops. Answers already paid for are
/// not lost with them: a task step asks the model only for requests its run directory has not seen.
/// </summary>
/// <param name="Step">The step's name.</param>
/// <param name="Cause">What kind of change it was (the most specific one, when several).</param>
/// <param name="Reason">What changed, in words: <c>setting temperature changed (0.7 -> 0.2)</c>, <c>upstream step 'clean' changed (its code changed)</c>.</param>
/// <param name="DroppedRows">The input rows the step had stored, which this run computes again.</param>
/// <example>
/// <code>
/// foreach (var step in result.Recomputed) Console.WriteLine(step.Message);
/// // Step 'judge' recomputes: setting temperature changed (0.7 -> 0.2); 60 stored rows are dropped.
/// </code>
/// </example>
public sealed record StepRecompute(string Step, RecomputeCause Cause, string Reason, long DroppedRows)
{
    /// <summary>One line naming the step, the reason and the rows it drops, as the run logs it.</summary>
    public string Message => string.Create(CultureInfo.InvariantCulture,
        $"Step '{Step}' recomputes: {Reason}; {(DroppedRows == 0 ? "it had stored no rows" : DroppedRows == 1 ? "1 stored row is dropped" : $"{DroppedRows:N0} stored rows are dropped")}.");
}
