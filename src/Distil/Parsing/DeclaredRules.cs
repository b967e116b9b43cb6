using System.ComponentModel;
using System.Globalization;
using System.Text.RegularExpressions;

namespace Distil.Parsing;

/// <summary>
/// The checks the generator writes for DataAnnotations on output properties (<c>[Range]</c>,
/// <c>[MinLength]</c>, <c>[MaxLength]</c>, <c>[Length]</c>, <c>[AllowedValues]</c>,
/// <c>[RegularExpression]</c>): each returns why a value breaks its rule, or null. Null values
/// keep every rule (an output column may always be null). Called by generated code.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class DeclaredRules
{
    /// <summary>The first broken rule, or null.</summary>
    public static string? First(params string?[] reasons) => reasons.FirstOrDefault(r => r is not null);

    /// <summary>The first broken rule among the items of a list of records, or null.</summary>
    public static string? Each<T>(IEnumerable<T>? items, Func<T, string?> check)
    {
        ArgumentNullException.ThrowIfNull(check);
        foreach (var item in items ?? []) if (check(item) is { } reason) return reason;
        return null;
    }

    /// <summary>A list with as many items as the row's <paramref name="per"/> (<c>[SameCountAs]</c>); a null list is not checked.</summary>
    public static string? SameCount(string column, int? count, int expected, string per) =>
        count is { } n && n != expected ? $"'{column}' has {n} {(n == 1 ? "item" : "items")} for {expected} {per}" : null;

    /// <summary>A value from the row's own list <paramref name="from"/> (<c>[OneOf]</c>); nothing is checked when the row's list is empty.</summary>
    public static string? OneOfRow(string column, string? value, IEnumerable<string?>? allowed, string from)
    {
        var set = allowed?.Where(a => a is not null).ToList();
        return value is null || set is not { Count: > 0 } || set.Contains(value, StringComparer.Ordinal)
            ? null
            : $"'{column}' holds '{value}', which is not one of the row's {from} ({string.Join(", ", set)})";
    }

    /// <summary>Every item from the row's own list <paramref name="from"/> (<c>[OneOf]</c> on a list).</summary>
    public static string? OneOfRowEach(string column, IEnumerable<string?>? values, IEnumerable<string?>? allowed, string from)
    {
        var set = allowed?.ToList();
        foreach (var value in values ?? []) if (OneOfRow(column, value, set, from) is { } reason) return reason;
        return null;
    }

    /// <summary>A number from <paramref name="minimum"/> to <paramref name="maximum"/>.</summary>
    public static string? Range(string column, double? value, double minimum, double maximum) =>
        value is { } number && (number < minimum || number > maximum || double.IsNaN(number))
            ? $"'{column}' holds {Text(number)}, outside {Text(minimum)} to {Text(maximum)}"
            : null;

    /// <summary>Every item of a list from <paramref name="minimum"/> to <paramref name="maximum"/>.</summary>
    public static string? RangeOfEach(string column, IEnumerable<double?>? values, double minimum, double maximum)
    {
        foreach (var value in values ?? []) if (Range(column, value, minimum, maximum) is { } reason) return reason;
        return null;
    }

    /// <summary>A list with <paramref name="minimum"/> to <paramref name="maximum"/> items (either may be open).</summary>
    public static string? Count(string column, int? count, int? minimum, int? maximum) =>
        count is { } n && (n < minimum || n > maximum)
            ? $"'{column}' has {n} {(n == 1 ? "item" : "items")}, {Bounds(minimum, maximum)}"
            : null;

    /// <summary>Text of <paramref name="minimum"/> to <paramref name="maximum"/> characters (either may be open).</summary>
    /// <remarks>
    /// Rule: a character is a Unicode code point of the decoded text, as JSON Schema's <c>maxLength</c> counts
    /// and as the grammar of local structured output bounds it, not a UTF-16 unit (<see cref="string.Length"/>
    /// counts an emoji twice), a UTF-8 byte, or a character of the JSON escape that wrote it.
    /// </remarks>
    public static string? Length(string column, string? value, int? minimum, int? maximum) =>
        value is not null && CodePoints(value) is var n && (n < minimum || n > maximum)
            ? $"'{column}' has {n} {(n == 1 ? "character" : "characters")}, {Bounds(minimum, maximum)}"
            : null;

    // The Unicode code points of a text: a surrogate pair counts once (a lone surrogate once too).
    private static int CodePoints(string text)
    {
        var count = 0;
        for (var i = 0; i < text.Length; i++, count++)
        {
            if (char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1])) i++;
        }
        return count;
    }

    /// <summary>Text that is one of <paramref name="allowed"/>.</summary>
    public static string? OneOf(string column, string? value, params string[] allowed) =>
        value is not null && !allowed.Contains(value, StringComparer.Ordinal)
            ? $"'{column}' holds '{value}', not one of {string.Join(", ", allowed)}"
            : null;

    /// <summary>Text that <paramref name="pattern"/> matches in full, as <c>[RegularExpression]</c> means it.</summary>
    public static string? Matches(string column, string? value, string pattern)
    {
        if (value is null) return null;
        var match = Regex.Match(value, pattern, RegexOptions.None, TimeSpan.FromSeconds(1));
        return match.Success && match.Index == 0 && match.Length == value.Length ? null : $"'{column}' does not match {pattern}";
    }

    private static string Bounds(int? minimum, int? maximum) => (minimum, maximum) switch
    {
        ({ } least, { } most) when least == most => $"not {least}",
        ({ } least, { } most) => $"not {least} to {most}",
        ({ } least, null) => $"fewer than {least}",
        (null, { } most) => $"more than {most}",
        _ => "",
    };

    private static string Text(double number) => number.ToString(CultureInfo.InvariantCulture);
}
