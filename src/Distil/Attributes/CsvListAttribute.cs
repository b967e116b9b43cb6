namespace Distil;

/// <summary>
/// Reads a list column of a CSV file as text split on <see cref="Separator"/> (<c>red|green</c>)
/// rather than as a JSON array (<c>["red","green"]</c>), when its rows are loaded as the record
/// (<c>Pipeline.Load&lt;TRow&gt;(RowSources.Csv(path))</c>). Each item is trimmed of the spaces
/// around it and read as the list's item type; an empty cell is an empty list (null for a nullable
/// list). Sources other than CSV ignore it.
/// </summary>
/// <example>
/// <code>
/// public sealed record Ticket(string Text, [CsvList("|")] IReadOnlyList&lt;string&gt; Tags, [CsvList(";")] IReadOnlyList&lt;int&gt; Scores);
/// // text,tags,scores
/// // "Printer jams",hardware|urgent,3;4
/// </code>
/// </example>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Parameter, AllowMultiple = false, Inherited = false)]
public sealed class CsvListAttribute : Attribute
{
    /// <summary>Splits the cell on <paramref name="separator"/>.</summary>
    /// <exception cref="ArgumentException"><paramref name="separator"/> is empty.</exception>
    public CsvListAttribute(string separator)
    {
        ArgumentException.ThrowIfNullOrEmpty(separator);
        Separator = separator;
    }

    /// <summary>The text between two items of the cell.</summary>
    public string Separator { get; }
}
