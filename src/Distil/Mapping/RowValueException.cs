namespace Distil;

/// <summary>
/// A row or an answer holds a value the task cannot read: a missing column, or a value of the
/// wrong type. The message names the column or JSON path and what was expected.
/// </summary>
public sealed class RowValueException : Exception
{
    /// <summary>Creates the exception with a message that names the value and what was wrong.</summary>
    public RowValueException(string message) : base(message) { }

    /// <summary>Creates the exception with a message and the error it wraps.</summary>
    public RowValueException(string message, Exception innerException) : base(message, innerException) { }

    internal static RowValueException Expected(string expected, string found) =>
        new($"expected {expected} but found {found}");

    // Errors are raised where the value is read and given their path on the way out, so that the
    // path costs nothing when reading succeeds.
    internal RowValueException Within(string segment) =>
        new(Message.StartsWith("at ", StringComparison.Ordinal)
            ? $"at {segment}{Message.Substring(3)}"
            : $"at {segment}: {Message}");
}
