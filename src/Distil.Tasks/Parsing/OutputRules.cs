using System.Globalization;

namespace Distil.Tasks.Parsing;

/// <summary>
/// The row-dependent rules the built-in tasks check their outputs against (<c>CheckOutput</c>):
/// each returns why the output breaks the rule, or null when it keeps it.
/// </summary>
internal static class OutputRules
{
    /// <summary>One item per item of the input: <paramref name="expected"/> items in <paramref name="column"/>.</summary>
    public static string? Count<T>(IReadOnlyList<T>? list, int expected, string column, string per) =>
        list is null || list.Count == expected
            ? null
            : $"'{column}' has {list.Count} {(list.Count == 1 ? "item" : "items")} for {expected} {per}";

    /// <summary>Every value of <paramref name="column"/> that is there lies from <paramref name="min"/> to <paramref name="max"/>.</summary>
    public static string? Range(IEnumerable<double?>? values, double min, double max, string column)
    {
        foreach (var value in values ?? [])
        {
            if (value is { } number && (number < min || number > max || double.IsNaN(number)))
            {
                return $"'{column}' holds {number.ToString(CultureInfo.InvariantCulture)}, outside {min.ToString(CultureInfo.InvariantCulture)} to {max.ToString(CultureInfo.InvariantCulture)}";
            }
        }
        return null;
    }

    /// <summary>The first rule broken, or null.</summary>
    public static string? First(params string?[] reasons) => reasons.FirstOrDefault(r => r is not null);
}
