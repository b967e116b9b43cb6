using System.Globalization;

namespace Distil.Pipelines;

/// <summary>
/// A task step whose answers in a run were mostly useless: past a share of them could not be read
/// or broke a rule of their row (see <see cref="PipelineRunOptions.UnreadableWarningShare"/>). It
/// names the step, the likely cause and one sample answer, so that a run whose outputs are null
/// does not pass unnoticed.
/// </summary>
/// <param name="Step">The task step.</param>
/// <param name="Answers">Answers the step kept in this run (answered generations, fit or not).</param>
/// <param name="Unfit">Of <paramref name="Answers"/>, those without output (unreadable or breaking a rule).</param>
/// <param name="Cause">The most common cause among the unfit answers.</param>
/// <param name="Sample">One unfit answer of that cause, with the rule it broke when it broke one.</param>
/// <example>
/// <code>
/// var result = await pipeline.RunAsync();
/// foreach (var alarm in result.Alarms) logger.LogWarning("{Alarm}", alarm.Message);
/// </code>
/// </example>
public sealed record AnswerAlarm(string Step, long Answers, long Unfit, UnfitCause Cause, UnfitAnswer? Sample)
{
    // A sample answer is shown on one line and cut here: enough to see what went wrong.
    private const int SampleLength = 160;

    /// <summary>True when the step had no readable answer at all (every answered call gave no output).</summary>
    public bool NoneReadable => Unfit == Answers;

    /// <summary>The share of the answers that were unfit, from 0 to 1.</summary>
    public double Share => Answers == 0 ? 0 : (double)Unfit / Answers;

    /// <summary>
    /// The alarm for <paramref name="statistics"/> of step <paramref name="step"/>: when more than
    /// <paramref name="share"/> of its answers were unfit, or none was readable; else null.
    /// </summary>
    /// <param name="step">The task step's name.</param>
    /// <param name="statistics">What the step did in the run.</param>
    /// <param name="share">The share of unfit answers past which to warn, from 0 to 1.</param>
    public static AnswerAlarm? For(string step, TaskStatistics statistics, double share)
    {
        ArgumentNullException.ThrowIfNull(statistics);
        var unfit = statistics.UnfitAnswers;
        var answers = statistics.Answers;
        if (unfit == 0 || (unfit < answers && unfit <= share * answers)) return null;
        var cause = LikelyCause(statistics);
        var sample = statistics.UnfitSamples.FirstOrDefault(s => s.Cause == cause) ?? statistics.UnfitSamples.FirstOrDefault();
        return new AnswerAlarm(step, answers, unfit, cause, sample);
    }

    /// <summary>
    /// One line: the step, how many answers gave no output and why, the likely cause, and a sample
    /// answer (on one line, cut after 160 characters).
    /// </summary>
    public string Message
    {
        get
        {
            var percent = Share.ToString("0%", CultureInfo.InvariantCulture);
            var what = NoneReadable
                ? $"no answer of {Answers:N0} was readable"
                : $"{Unfit:N0} of {Answers:N0} answers ({percent}) gave no output";
            return $"step '{Step}': {what}. Likely cause: {Explain(Cause, Sample)}. Sample answer: {Quote(Sample?.Text)}.";
        }
    }

    /// <inheritdoc/>
    public override string ToString() => Message;

    // The cause with the most answers; a tie goes to the cut-off (it explains the others) then the rule.
    private static UnfitCause LikelyCause(TaskStatistics statistics)
    {
        long Count(UnfitCause cause) => statistics.UnfitByCause.GetValueOrDefault(cause);
        return new[] { UnfitCause.CutOff, UnfitCause.RuleBroken, UnfitCause.FormatNotFollowed }
            .OrderByDescending(Count).First();
    }

    private static string Explain(UnfitCause cause, UnfitAnswer? sample) => cause switch
    {
        UnfitCause.CutOff => "the answers hit the token limit (finish reason 'length') and were cut off; raise the output-token limit (max_tokens) or ask for shorter answers",
        UnfitCause.RuleBroken => $"a declared rule broke: {sample?.Rule ?? "a rule of the row"}",
        _ => "the answers did not follow the task's format (its JSON schema, or its text layout); structured output or re-asks may help",
    };

    // The answer on one line, cut with its full length said.
    private static string Quote(string? text)
    {
        if (text is null) return "(none kept)";
        var line = text.Replace("\r\n", "\\n", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal).Replace("\r", "\\n", StringComparison.Ordinal);
        if (line.Length <= SampleLength) return $"\"{line}\"";
        // Never half a surrogate pair.
        var cut = char.IsHighSurrogate(line[SampleLength - 1]) ? SampleLength - 1 : SampleLength;
        return $"\"{line[..cut]}…\" ({text.Length:N0} characters)";
    }
}
