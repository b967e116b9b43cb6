using System.Globalization;
using System.Text.RegularExpressions;

namespace Distil.Tasks.Parsing;

/// <summary>
/// The lenient readers the catalogue's parsers share. Models are sloppy: <c>Score: 4.0</c>,
/// <c>score : 5 (Excellent)</c>, stray spaces, markdown bold. These readers take what is meant
/// and leave null for what cannot be read; they never throw.
/// </summary>
internal static partial class AnswerText
{
    /// <summary>
    /// One value per item from lines <c>[i] Score: N</c> (1-based <c>i</c>): the first line of
    /// each index wins; indices with no line, and lines that do not match, give null. The list
    /// always has <paramref name="count"/> entries, so that it stays aligned with the items.
    /// </summary>
    public static IReadOnlyList<double?> IndexedScores(string text, int count)
    {
        var scores = new double?[count];
        foreach (Match match in IndexedScoreLine().Matches(text))
        {
            var index = int.Parse(match.Groups["index"].Value, CultureInfo.InvariantCulture) - 1;
            if (index < 0 || index >= count || scores[index] is not null) continue;
            scores[index] = Number(match.Groups["value"].Value);
        }
        return scores;
    }

    /// <summary>
    /// The last <c>Score: N</c> of the text, wherever it stands (on a line of its own, or at the end
    /// of the reasoning's line), and where it starts, or null.
    /// </summary>
    public static (double Value, int Start)? LastScore(string text)
    {
        var matches = Score().Matches(text);
        if (matches.Count == 0) return null;
        var last = matches[^1];
        return Number(last.Groups["value"].Value) is { } value ? (value, last.Index) : null;
    }

    /// <summary>The number a value starts with (<c>4 (Good)</c> → 4); null for <c>N/A</c>, <c>None</c> or nothing.</summary>
    public static double? LeadingNumber(string? value) =>
        value is not null && LeadingNumberPattern().Match(value) is { Success: true } match ? Number(match.Value) : null;

    /// <summary>Parses an invariant-culture number.</summary>
    public static double? Number(string text) =>
        double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) ? value : null;

    /// <summary>A whole number from a number written as <c>4</c> or <c>4.0</c>; null for <c>4.5</c>.</summary>
    public static int? WholeNumber(double? value) =>
        value is { } v && Math.Abs(v - Math.Round(v)) < 1e-9 && Math.Abs(v) <= int.MaxValue ? (int)Math.Round(v) : null;

    /// <summary>The non-blank lines of the text, trimmed, with list markers (<c>1.</c>, <c>2)</c>, <c>-</c>, <c>*</c>) removed.</summary>
    public static IReadOnlyList<string> Lines(string text) =>
        text.Split('\n')
            .Select(line => ListMarker().Replace(line.Trim(), ""))
            .Where(line => line.Length > 0)
            .ToList();

    // "[1] Score: 4", "[1]  score : 4.0 (Excellent)", "**[1] Score:** 4", "- [2] Score: 5".
    [GeneratedRegex(@"(?im)^[\s*_>-]*\[\s*(?<index>\d+)\s*\][\s*_]*score[\s*_]*:[\s*_]*(?<value>[-+]?\d+(?:\.\d+)?)")]
    private static partial Regex IndexedScoreLine();

    // "Score: 4", "**Score:** 4.0", "score : 5", "- Score: 3", "It is apt. Score: 4": anywhere, as a
    // word; the markup before it belongs to the match, so that the text before it is the reasoning.
    [GeneratedRegex(@"(?i)(?:[*_#>-]+[ \t]*)?\bscore[\s*_]*:[\s*_]*(?<value>[-+]?\d+(?:\.\d+)?)")]
    private static partial Regex Score();

    [GeneratedRegex(@"^[-+]?\d+(?:\.\d+)?")]
    private static partial Regex LeadingNumberPattern();

    [GeneratedRegex(@"^(?:\d+[.)]\s+|[-*•]\s+)")]
    private static partial Regex ListMarker();
}
