using System;
using System.Collections.Generic;
using System.Linq;

namespace Distil.Generators.Diagnostics;

/// <summary>The "did you mean" of diagnostics: the known name closest to a misspelt one.</summary>
internal static class NameSuggestions
{
    /// <summary>
    /// The candidate within a small edit distance of <paramref name="name"/> (the first by name on a tie); else the one
    /// candidate that holds the name's snake_case words in order (<c>text</c> in <c>clean_text</c>, a column a step
    /// renamed by adding a word); else null.
    /// </summary>
    public static string? Closest(string name, IEnumerable<string> candidates)
    {
        var known = candidates.ToList();
        var close = known
            .Select(k => (Name: k, Distance: EditDistance(name, k)))
            .Where(c => c.Distance <= Math.Max(2, name.Length / 3))
            .OrderBy(c => c.Distance).ThenBy(c => c.Name, StringComparer.Ordinal)
            .FirstOrDefault().Name;
        if (close is not null) return close;
        var holding = known.Where(k => HoldsWords(k, name)).Take(2).ToList();
        return holding.Count == 1 ? holding[0] : null;
    }

    // Whether the words of `name` (split at '_') are words of `candidate`, in order: a column a step renamed by adding a
    // word (`text`, `clean_text`).
    private static bool HoldsWords(string candidate, string name)
    {
        if (name.Length == 0 || candidate.Length <= name.Length) return false;
        var next = 0;
        var wanted = name.Split('_');
        foreach (var word in candidate.Split('_'))
        {
            if (next < wanted.Length && string.Equals(word, wanted[next], StringComparison.OrdinalIgnoreCase)) next++;
        }
        return next == wanted.Length;
    }

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
