using System.ComponentModel;
using System.Globalization;
using System.Text;

namespace Distil.Templates;

/// <summary>
/// Values turned into template text exactly as Scriban does it (invariant culture, shortest
/// round-trip numbers, <c>true</c>/<c>false</c>, nothing for null), and the few Scriban built-ins
/// that compiled templates call. Called by generated code.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class TemplateText
{
    /// <summary>Text of a string (null for null: nothing is written).</summary>
    public static string? Text(string? value) => value;

    /// <summary>Text of a boolean.</summary>
    public static string? Text(bool? value) => value is null ? null : value.Value ? "true" : "false";

    /// <summary>Text of an integer.</summary>
    public static string? Text(long? value) => value?.ToString(CultureInfo.InvariantCulture);

    /// <summary>Text of a number.</summary>
    public static string? Text(double? value) => value?.ToString(null, CultureInfo.InvariantCulture);

    /// <summary>Text of a single-precision number.</summary>
    public static string? Text(float? value) => value?.ToString(null, CultureInfo.InvariantCulture);

    /// <summary>Text of a decimal, with its scale (3.0m is "3.0").</summary>
    public static string? Text(decimal? value) => value?.ToString(null, CultureInfo.InvariantCulture);

    /// <summary>Text of an enum member: its name.</summary>
    public static string? EnumText<TEnum>(TEnum? value) where TEnum : struct, Enum => value?.ToString();

    /// <summary>Appends a boolean.</summary>
    public static void Append(StringBuilder builder, bool? value) => builder.Append(Text(value));

    /// <summary>Appends an integer.</summary>
    public static void Append(StringBuilder builder, long value) =>
        builder.Append(CultureInfo.InvariantCulture, $"{value}");

    /// <summary>Appends an integer, or nothing.</summary>
    public static void Append(StringBuilder builder, long? value)
    {
        if (value is not null) Append(builder, value.Value);
    }

    /// <summary>Appends a number.</summary>
    public static void Append(StringBuilder builder, double value) =>
        builder.Append(CultureInfo.InvariantCulture, $"{value}");

    /// <summary>Appends a number, or nothing.</summary>
    public static void Append(StringBuilder builder, double? value)
    {
        if (value is not null) Append(builder, value.Value);
    }

    /// <summary>Appends a single-precision number, or nothing.</summary>
    public static void Append(StringBuilder builder, float? value) => builder.Append(Text(value));

    /// <summary>Appends a decimal, or nothing.</summary>
    public static void Append(StringBuilder builder, decimal? value) => builder.Append(Text(value));

    /// <summary>Appends an enum member's name, or nothing.</summary>
    public static void AppendEnum<TEnum>(StringBuilder builder, TEnum? value) where TEnum : struct, Enum =>
        builder.Append(EnumText(value));

    /// <summary>Scriban's truthiness: only null and false are false (empty text and 0 are true).</summary>
    public static bool Truthy(object? value) => value is not null && value is not false;

    /// <summary>Scriban's <c>string.upcase</c>.</summary>
    public static string? Upcase(string? text) => text?.ToUpperInvariant();

    /// <summary>Scriban's <c>string.downcase</c>.</summary>
    public static string? Downcase(string? text) => text?.ToLowerInvariant();

    /// <summary>Scriban's <c>string.strip</c>: all Unicode white space at both ends.</summary>
    public static string? Strip(string? text) => text?.Trim();

    /// <summary>Scriban's <c>string.size</c>.</summary>
    public static int StringSize(string? text) => text?.Length ?? 0;

    /// <summary>Scriban's <c>array.size</c>: 0 for null.</summary>
    public static int Size<T>(IEnumerable<T>? items) => items switch
    {
        null => 0,
        IReadOnlyCollection<T> collection => collection.Count,
        ICollection<T> collection => collection.Count,
        _ => items.Count(),
    };

    /// <summary>Scriban's <c>array.join</c> of text: null items are empty pieces.</summary>
    public static string Join(IEnumerable<string?>? items, string? separator) =>
        items is null ? "" : string.Join(separator ?? "", items);

    /// <summary>Scriban's <c>array.join</c> of booleans.</summary>
    public static string Join(IEnumerable<bool>? items, string? separator) =>
        items is null ? "" : string.Join(separator ?? "", items.Select(v => Text(v)));

    /// <summary>Scriban's <c>array.join</c> of integers.</summary>
    public static string Join(IEnumerable<long>? items, string? separator) =>
        items is null ? "" : string.Join(separator ?? "", items.Select(v => Text(v)));

    /// <summary>Scriban's <c>array.join</c> of integers.</summary>
    public static string Join(IEnumerable<int>? items, string? separator) =>
        items is null ? "" : string.Join(separator ?? "", items.Select(v => Text(v)));

    /// <summary>Scriban's <c>array.join</c> of numbers.</summary>
    public static string Join(IEnumerable<double>? items, string? separator) =>
        items is null ? "" : string.Join(separator ?? "", items.Select(v => Text(v)));
}
