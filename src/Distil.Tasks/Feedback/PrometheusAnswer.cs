using System.Text.RegularExpressions;

namespace Distil.Tasks;

/// <summary>Reads Prometheus answers: feedback, then <c>[RESULT] X</c>.</summary>
internal static partial class PrometheusAnswer
{
    /// <summary>The feedback (without a leading <c>Feedback:</c>) and the text after the last <c>[RESULT]</c>.</summary>
    public static (string? Feedback, string Result)? Read(string text)
    {
        var matches = ResultMarker().Matches(text);
        if (matches.Count == 0) return null;
        var last = matches[^1];
        var feedback = FeedbackLabel().Replace(text[..last.Index].Trim(), "").Trim();
        return (feedback.Length > 0 ? feedback : null, last.Groups["result"].Value.Trim().Trim('*', '.', '"', '\''));
    }

    [GeneratedRegex(@"\[\s*RESULT\s*\]\s*:?\s*(?<result>[^\s\n]*)", RegexOptions.IgnoreCase)]
    private static partial Regex ResultMarker();

    [GeneratedRegex(@"^[\s*#_]*feedback[\s*_]*:[\s*_]*", RegexOptions.IgnoreCase)]
    private static partial Regex FeedbackLabel();
}
