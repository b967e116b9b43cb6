using System.Text;

namespace Distil.Mcp;

// Splits a command line into words the way a POSIX shell does for the simple cases users type
// (spaces separate, quotes group, backslash escapes), without running a shell: nothing expands,
// so a server's command line means the same on every machine.
internal static class CommandLineWords
{
    public static List<string> Split(string commandLine)
    {
        var words = new List<string>();
        var word = new StringBuilder();
        var inWord = false;
        char? quote = null;
        var quoteStart = -1;
        for (var i = 0; i < commandLine.Length; i++)
        {
            var c = commandLine[i];
            if (quote is { } open)
            {
                if (c == open) quote = null;
                // Inside double quotes a backslash escapes only a quote or a backslash, as in a shell.
                else if (c == '\\' && open == '"' && i + 1 < commandLine.Length && commandLine[i + 1] is '"' or '\\') word.Append(commandLine[++i]);
                else word.Append(c);
            }
            else if (c is '"' or '\'')
            {
                quote = c;
                quoteStart = i;
                inWord = true;
            }
            else if (c == '\\' && i + 1 < commandLine.Length)
            {
                word.Append(commandLine[++i]);
                inWord = true;
            }
            else if (char.IsWhiteSpace(c))
            {
                if (inWord) words.Add(word.ToString());
                word.Clear();
                inWord = false;
            }
            else
            {
                word.Append(c);
                inWord = true;
            }
        }
        if (quote is not null) throw new FormatException($"The command line {commandLine} opens a quote ({quote}) at character {quoteStart + 1} that is never closed.");
        if (inWord) words.Add(word.ToString());
        return words;
    }

    // Quotes only the words that need it, so that the usual command line reads as typed.
    public static string Join(IEnumerable<string> words) =>
        string.Join(' ', words.Select(w => w.Length > 0 && !w.Any(c => char.IsWhiteSpace(c) || c is '"' or '\'' or '\\')
            ? w
            : "'" + w.Replace("'", "'\\''", StringComparison.Ordinal) + "'"));
}
