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
}
