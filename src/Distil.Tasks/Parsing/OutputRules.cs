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
}
