namespace Distil;

/// <summary>
/// Error messages as a user reads them: an exception's message without the runtime's
/// <c>(Parameter 'name')</c> suffix, and sentences that end once.
/// </summary>
/// <example>
/// <code>
/// catch (ArgumentException error)
/// {
///     Console.Error.WriteLine(ErrorText.Sentence($"step 'judge': {ErrorText.Of(error)}"));
/// }
/// </code>
/// </example>
public static class ErrorText
{
    /// <summary>
    /// The message of <paramref name="error"/> as a user should see it. An
    /// <see cref="ArgumentException"/> appends the name of the C# parameter or property it was
    /// thrown for ("Unknown aspect 'x'. (Parameter 'Aspect')"); that name means nothing to someone
    /// who typed a value on the command line or in a pipeline file, so it is left out.
    /// </summary>
    public static string Of(Exception error)
    {
        ArgumentNullException.ThrowIfNull(error);
        var message = error.Message;
        if (error is ArgumentException { ParamName: { Length: > 0 } name })
        {
            // The suffix is made the way the runtime makes it, so a translated runtime is handled too.
            var suffix = new ArgumentException("", name).Message;
            var at = message.IndexOf(suffix, StringComparison.Ordinal);
            if (at >= 0) message = message.Remove(at, suffix.Length);
        }
        return message;
    }

    /// <summary>
    /// <paramref name="text"/> ending in one full stop: a '.' is added unless the text already ends
    /// with '.', '!' or '?' (a message built around another message would otherwise end in "..").
    /// Trailing white space is dropped first.
    /// </summary>
    public static string Sentence(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var trimmed = text.TrimEnd();
        return trimmed.Length == 0 || trimmed[^1] is '.' or '!' or '?' ? trimmed : trimmed + ".";
    }

    /// <summary>
    /// A JSON syntax error of <paramref name="text"/> said with its position counted from 1, as
    /// editors count: <c>line 3, column 7: '}' is an invalid start of a value</c>.
    /// <see cref="System.Text.Json.JsonException"/> counts lines and bytes from 0 and appends them
    /// to its message (<c>Path: $ | LineNumber: 2 | BytePositionInLine: 6.</c>); that suffix is
    /// replaced. <paramref name="firstLine"/> is the number of the text's first line in its file
    /// (a JSON Lines row is one line of a longer file).
    /// </summary>
    public static string OfJson(System.Text.Json.JsonException error, string text, long firstLine = 1)
    {
        ArgumentNullException.ThrowIfNull(error);
        ArgumentNullException.ThrowIfNull(text);
        var message = error.Message;
        var suffix = message.IndexOf(" Path: ", StringComparison.Ordinal) is var p and >= 0 ? p : message.IndexOf(" LineNumber: ", StringComparison.Ordinal);
        if (suffix >= 0) message = message[..suffix];
        // The reader's advice is for the programmer who chose its options, not for the file's author.
        message = message.Replace(" Change the reader options.", "", StringComparison.Ordinal).TrimEnd('.', ' ');
        if (error.LineNumber is not { } line) return message;
        var lines = text.Split('\n');
        var column = (error.BytePositionInLine ?? 0) + 1;
        if (line < lines.Length)
        {
            // The reader counts bytes of UTF-8; a user counts characters.
            var bytes = System.Text.Encoding.UTF8.GetBytes(lines[line]);
            column = System.Text.Encoding.UTF8.GetCharCount(bytes, 0, (int)Math.Min(bytes.Length, error.BytePositionInLine ?? 0)) + 1;
        }
        return $"line {line + firstLine}, column {column}: {message}";
    }
}
