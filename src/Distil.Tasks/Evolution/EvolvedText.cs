using System.Text.RegularExpressions;

namespace Distil.Tasks.Parsing;

/// <summary>Reads the text a model wrote as an evolved instruction or response.</summary>
internal static partial class EvolvedText
{
    /// <summary>
    /// The answer without the label some models put first (<c>Rewritten instruction:</c>,
    /// <c>#New Prompt#:</c>, <c>**Improved answer:**</c>); null when nothing is left.
    /// </summary>
    public static string? Read(string? text)
    {
        if (string.IsNullOrWhiteSpace(text)) return null;
        var cleaned = Label().Replace(text.Trim(), "", 1).Trim();
        return cleaned.Length == 0 ? null : cleaned;
    }

    // A first line that is only a label: a few words ending in prompt/instruction/answer/response, then ':'.
    [GeneratedRegex(@"^[#*\s]*(?:(?:rewritten|new|improved|evolved|created|given)\s+)?(?:prompt|instruction|answer|response)[#*\s]*:[#*\s]*", RegexOptions.IgnoreCase)]
    private static partial Regex Label();
}
