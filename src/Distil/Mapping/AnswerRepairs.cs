using System.Globalization;
using System.Text.RegularExpressions;

namespace Distil.Mapping;

/// <summary>
/// What an answer's reader mends without the model, and notes so that the row says it: a number
/// written as a word (<c>"four"</c>) or as a fraction of its scale (<c>"4/5"</c> is 4). Nothing is
/// invented: what cannot be read as written stays unreadable. The notes of the answer being read
/// are collected per generation (an async-local log the task run opens).
/// </summary>
internal static partial class AnswerRepairs
{
    private static readonly AsyncLocal<List<string>?> Log = new();

    private static readonly string[] Words =
        ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"];

    /// <summary>Starts collecting the repairs of the answers read from here on (this async flow).</summary>
    public static List<string> Begin() => Log.Value = [];

    /// <summary>A number written as a word or a fraction, or null; a repair is noted.</summary>
    public static double? Number(string text)
    {
        var trimmed = text.Trim();
        var word = Array.FindIndex(Words, w => string.Equals(w, trimmed, StringComparison.OrdinalIgnoreCase));
        if (word >= 0) return Noted(text, word);
        var fraction = Fraction().Match(trimmed);
        if (fraction.Success
            && double.TryParse(fraction.Groups["n"].Value, NumberStyles.Float, CultureInfo.InvariantCulture, out var numerator)
            && double.TryParse(fraction.Groups["d"].Value, NumberStyles.Float, CultureInfo.InvariantCulture, out var denominator)
            && denominator > 0 && numerator <= denominator)
        {
            // "4/5" on a scale to 5 is the score 4: the numerator, not the ratio.
            return Noted(text, numerator);
        }
        return null;
    }

    private static double Noted(string text, double value)
    {
        Log.Value?.Add($"\"{text}\" read as {value.ToString(CultureInfo.InvariantCulture)}");
        return value;
    }

    [GeneratedRegex(@"^(?<n>[0-9]+(\.[0-9]+)?)\s*/\s*(?<d>[0-9]+(\.[0-9]+)?)$")]
    private static partial Regex Fraction();
}
