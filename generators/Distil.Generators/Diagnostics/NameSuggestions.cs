using System;
using System.Collections.Generic;
using System.Linq;

namespace Distil.Generators.Diagnostics;

/// <summary>The "did you mean" of diagnostics: the known name closest to a misspelt one.</summary>
internal static class NameSuggestions
{
    /// <summary>The candidate within a small edit distance of <paramref name="name"/> (the first by name on a tie), or null.</summary>
    public static string? Closest(string name, IEnumerable<string> candidates) =>
        candidates
            .Select(k => (Name: k, Distance: EditDistance(name, k)))
            .Where(c => c.Distance <= Math.Max(2, name.Length / 3))
            .OrderBy(c => c.Distance).ThenBy(c => c.Name, StringComparer.Ordinal)
            .FirstOrDefault().Name;

    private static int EditDistance(string a, string b)
    {
        var previous = Enumerable.Range(0, b.Length + 1).ToArray();
        for (var i = 1; i <= a.Length; i++)
        {
            var current = new int[b.Length + 1];
            current[0] = i;
            for (var j = 1; j <= b.Length; j++)
            {
                var cost = a[i - 1] == b[j - 1] ? 0 : 1;
                current[j] = Math.Min(Math.Min(current[j - 1] + 1, previous[j] + 1), previous[j - 1] + cost);
            }
            previous = current;
        }
        return previous[b.Length];
    }
}
