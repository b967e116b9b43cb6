namespace Distil.Pipelines;

/// <summary>Suggests the closest known name for a misspelt one (a column, a step, a parameter, a task).</summary>
public static class DidYouMean
{
    /// <summary>
    /// The candidate within a small edit distance of <paramref name="name"/>; else the one candidate that holds the name as
    /// snake_case words in order (<c>text</c> in <c>clean_text</c>); else null.
    /// </summary>
    public static string? Closest(string name, IEnumerable<string> candidates)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(candidates);
        string? best = null;
        var bestDistance = int.MaxValue;
        string? holding = null;
        var holdingCount = 0;
        foreach (var candidate in candidates)
        {
            var distance = Distance(name.ToLowerInvariant(), candidate.ToLowerInvariant());
            if (distance < bestDistance)
            {
                best = candidate;
                bestDistance = distance;
            }
            if (HoldsWords(candidate, name))
            {
                holding = candidate;
                holdingCount++;
            }
        }
        if (best is not null && bestDistance <= Math.Max(2, name.Length / 3)) return best;
        return holdingCount == 1 ? holding : null;
    }

    // Whether the words of `name` (split at '_') are words of `candidate`, in order: a column a step renamed by adding a
    // word (`text`, `clean_text`), a parameter with a word left out (`max_tokens`, `max_new_tokens`).
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

    private static int Distance(string a, string b)
    {
        var previous = new int[b.Length + 1];
        var current = new int[b.Length + 1];
        for (var j = 0; j <= b.Length; j++) previous[j] = j;
        for (var i = 1; i <= a.Length; i++)
        {
            current[0] = i;
            for (var j = 1; j <= b.Length; j++)
            {
                current[j] = Math.Min(Math.Min(current[j - 1] + 1, previous[j] + 1), previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1));
            }
            (previous, current) = (current, previous);
        }
        return previous[b.Length];
    }
}
