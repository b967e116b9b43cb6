using System.Globalization;
using System.Text;

namespace Distil;

/// <summary>
/// The rules a column's values keep, from the DataAnnotations on the output property that writes
/// it (<c>[Range]</c>, <c>[MinLength]</c>, <c>[MaxLength]</c>, <c>[Length]</c>,
/// <c>[StringLength]</c>, <c>[AllowedValues]</c>, <c>[RegularExpression]</c>). A run checks every
/// parsed answer against them, and an answer that breaks one gives null outputs with the reason in
/// <c>output_error_&lt;task&gt;</c>; so a value that is present keeps them. Immutable; compares by value.
/// </summary>
/// <remarks>
/// On a list column, <see cref="Minimum"/>/<see cref="Maximum"/> bound each item and
/// <see cref="MinLength"/>/<see cref="MaxLength"/> bound the number of items; on a text column they
/// bound its length in characters.
/// </remarks>
/// <param name="Minimum">The least value (inclusive) of a number, or of each number in a list.</param>
/// <param name="Maximum">The greatest value (inclusive) of a number, or of each number in a list.</param>
/// <param name="MinLength">The fewest characters of a text, or items of a list.</param>
/// <param name="MaxLength">The most characters of a text, or items of a list.</param>
/// <param name="AllowedValues">The only values allowed, written as text (invariant culture).</param>
/// <param name="Pattern">A regular expression every text value matches.</param>
public sealed record ColumnRules(
    double? Minimum = null,
    double? Maximum = null,
    int? MinLength = null,
    int? MaxLength = null,
    IReadOnlyList<string>? AllowedValues = null,
    string? Pattern = null)
{
    /// <inheritdoc/>
    public bool Equals(ColumnRules? other) =>
        other is not null
        && Minimum == other.Minimum && Maximum == other.Maximum
        && MinLength == other.MinLength && MaxLength == other.MaxLength
        && (AllowedValues ?? []).SequenceEqual(other.AllowedValues ?? [])
        && Pattern == other.Pattern;

    /// <inheritdoc/>
    public override int GetHashCode()
    {
        var hash = new HashCode();
        hash.Add(Minimum);
        hash.Add(Maximum);
        hash.Add(MinLength);
        hash.Add(MaxLength);
        foreach (var value in AllowedValues ?? []) hash.Add(value);
        hash.Add(Pattern);
        return hash.ToHashCode();
    }

    /// <summary>The rules in short form, e.g. <c>1..6 each, 2..2 items</c>, for a column of <paramref name="type"/>.</summary>
    public string Describe(ColumnType type)
    {
        ArgumentNullException.ThrowIfNull(type);
        var parts = new List<string>();
        var list = type.Kind == ColumnKind.List;
        if (Minimum is not null || Maximum is not null)
        {
            parts.Add(Bounds(Minimum, Maximum) + (list ? " each" : ""));
        }
        if (MinLength is not null || MaxLength is not null)
        {
            parts.Add(Bounds(MinLength, MaxLength) + (list ? " items" : " chars"));
        }
        if (AllowedValues is { Count: > 0 } values) parts.Add("one of " + string.Join('|', values));
        if (Pattern is not null) parts.Add("matches /" + Pattern + "/");
        return string.Join(", ", parts);
    }

    internal void Write(StringBuilder text, ColumnType type) => text.Append(" [").Append(Describe(type)).Append(']');

    private static string Bounds(double? least, double? most) =>
        $"{(least is { } l ? l.ToString("R", CultureInfo.InvariantCulture) : "")}..{(most is { } m ? m.ToString("R", CultureInfo.InvariantCulture) : "")}";
}
