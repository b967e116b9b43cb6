namespace Distil.Pipelines;

/// <summary>Why an answered call gave no output: the likely cause a run's warning names.</summary>
public enum UnfitCause
{
    /// <summary>The answer hit the token limit (finish reason <c>length</c>), so it ended mid-way.</summary>
    CutOff,

    /// <summary>The answer did not follow the task's format (its JSON schema, or its text layout), or gave no value.</summary>
    FormatNotFollowed,

    /// <summary>The answer was read, but its output broke a declared rule of its row (see <see cref="UnfitAnswer.Rule"/>).</summary>
    RuleBroken,
}

/// <summary>One answer whose outputs were set to null although its call was answered.</summary>
/// <param name="Cause">Why.</param>
/// <param name="Text">The answer as the model wrote it.</param>
/// <param name="Rule">The rule it broke (<c>'rating' must be between 1 and 5</c>), when it broke one.</param>
public sealed record UnfitAnswer(UnfitCause Cause, string? Text, string? Rule = null)
{
    /// <summary>
    /// What <c>output_error_&lt;task&gt;</c> holds for an answer that could not be read: every such
    /// reason starts with this, so a reader tells it from a broken rule (whose reason is the rule's own text).
    /// </summary>
    public const string UnreadablePrefix = "unreadable: ";

    /// <summary>The reason kept under <c>output_error_&lt;task&gt;</c>.</summary>
    /// <param name="structured">Whether the task asked for JSON of its schema.</param>
    public string OutputError(bool structured) => Cause switch
    {
        UnfitCause.RuleBroken => Rule ?? "the output broke a rule of its row",
        UnfitCause.CutOff when Rule is not null => $"{Rule} (the answer hit the token limit: finish reason 'length')",
        UnfitCause.CutOff => UnreadablePrefix + "the answer hit the token limit (finish reason 'length') and was cut off",
        _ when structured => UnreadablePrefix + "the answer did not follow the task's JSON schema, or gave no value",
        _ => UnreadablePrefix + "the answer did not follow the task's answer format, or gave no value",
    };

    /// <summary>Whether an <c>output_error_&lt;task&gt;</c> reason says the answer could not be read (rather than that it broke a rule).</summary>
    public static bool IsUnreadableReason(string? reason) =>
        reason is not null && reason.StartsWith(UnreadablePrefix, StringComparison.Ordinal);
}
