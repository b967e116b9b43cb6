using System.Text;
using Distil.Pipelines;

namespace Distil;

/// <summary>
/// The settings text of a typed step, which its signature is made of: its class, the hash of its
/// declaration (its body and its records, made by the generator) and the values of its settings.
/// Rule: a changed <c>Process</c> body or setting recomputes the step on resume; nothing else does.
/// </summary>
internal static class TypedStepSignature
{
    public static string Of(PipelineStep step, ITypedStep typed, string? sourceHash)
    {
        var text = new StringBuilder();
        text.Append("type=").Append(step.GetType().FullName).Append('\n');
        text.Append("source=").Append(sourceHash ?? "none").Append('\n');
        foreach (var setting in typed.StepSettings.OrderBy(s => s.Name, StringComparer.Ordinal))
        {
            text.Append(setting.Name).Append('=').Append(SettingValues.Text(setting.GetValue(step))).Append('\n');
        }
        return text.ToString();
    }

    /// <summary>The error of a row a step could not read into its input record, naming the step, the row and the column.</summary>
    public static PipelineException Unreadable(PipelineStep step, string row, Exception error) =>
        new($"Step '{step.Name}' ({step.Kind}) could not read {row} as its input record: {error.Message}.", error);

}
