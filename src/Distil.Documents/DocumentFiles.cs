using System.Text;

namespace Distil.Pipelines;

/// <summary>What the readers share: reading a file's text, and white space made single.</summary>
internal static class DocumentFiles
{
    /// <summary>The text of <paramref name="content"/>: UTF-8 unless a byte order mark says otherwise.</summary>
    public static string ReadText(Stream content)
    {
        using var reader = new StreamReader(content, Encoding.UTF8, detectEncodingFromByteOrderMarks: true, leaveOpen: true);
        return reader.ReadToEnd();
    }

    /// <summary><paramref name="text"/> with every run of white space made one space, and none at either end.</summary>
    public static string CollapseSpaces(string text)
    {
        var result = new StringBuilder(text.Length);
        var space = false;
        foreach (var c in text)
        {
            if (char.IsWhiteSpace(c))
            {
                space = result.Length > 0;
                continue;
            }
            if (space) result.Append(' ');
            space = false;
            result.Append(c);
        }
        return result.ToString();
    }
}
