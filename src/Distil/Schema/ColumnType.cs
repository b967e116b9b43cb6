using System.Text;

namespace Distil;

/// <summary>What kind of value a column holds.</summary>
public enum ColumnKind
{
    /// <summary>Not known before the data is seen (a <c>Map</c> that did not declare its types).</summary>
    Unknown,

    /// <summary>Text; an enum is text holding one of <see cref="ColumnType.EnumValues"/>.</summary>
    String,

    /// <summary>A 64-bit integer.</summary>
    Integer,

    /// <summary>A 64-bit floating-point number.</summary>
    Number,

    /// <summary>True or false.</summary>
    Boolean,

    /// <summary>Any JSON value, kept as JSON text in typed files (a <c>JsonNode</c> property).</summary>
    Json,

    /// <summary>A list of <see cref="ColumnType.Element"/>.</summary>
    List,

    /// <summary>A record: named <see cref="ColumnType.Fields"/>.</summary>
    Struct,
}

/// <summary>
/// The type of a dataset column, as the generator knows it from a task's records: what typed
/// files (Parquet, the Hugging Face layout) are written with, instead of guessing from the data.
/// Immutable; compares by value.
/// </summary>
/// <example>
/// <code>
/// var scores = ColumnType.ListOf(ColumnType.Number);          // list&lt;double&gt;
/// var turn = ColumnType.StructOf(new Column("role", ColumnType.String), new Column("content", ColumnType.String));
/// </code>
/// </example>
public sealed class ColumnType : IEquatable<ColumnType>
{
    private ColumnType(ColumnKind kind, ColumnType? element, IReadOnlyList<Column> fields, IReadOnlyList<string>? enumValues)
    {
        Kind = kind;
        Element = element;
        Fields = fields;
        EnumValues = enumValues;
    }

    /// <summary>Not known before the data is seen.</summary>
    public static ColumnType Unknown { get; } = new(ColumnKind.Unknown, null, [], null);

    /// <summary>Text.</summary>
    public static ColumnType String { get; } = new(ColumnKind.String, null, [], null);

    /// <summary>A 64-bit integer.</summary>
    public static ColumnType Integer { get; } = new(ColumnKind.Integer, null, [], null);

    /// <summary>A 64-bit floating-point number.</summary>
    public static ColumnType Number { get; } = new(ColumnKind.Number, null, [], null);

    /// <summary>True or false.</summary>
    public static ColumnType Boolean { get; } = new(ColumnKind.Boolean, null, [], null);

    /// <summary>Any JSON value, written as JSON text.</summary>
    public static ColumnType Json { get; } = new(ColumnKind.Json, null, [], null);

    /// <summary>The kind of value.</summary>
    public ColumnKind Kind { get; }

    /// <summary>The type of each item of a list; null for other kinds.</summary>
    public ColumnType? Element { get; }

    /// <summary>The fields of a struct, in order; empty for other kinds.</summary>
    public IReadOnlyList<Column> Fields { get; }

    /// <summary>The names an enum's text may hold (a string column); null when any text may.</summary>
    public IReadOnlyList<string>? EnumValues { get; }

    /// <summary>A list of <paramref name="element"/>.</summary>
    public static ColumnType ListOf(ColumnType element) =>
        new(ColumnKind.List, element ?? throw new ArgumentNullException(nameof(element)), [], null);

    /// <summary>A struct of <paramref name="fields"/> (names must be unique).</summary>
    /// <exception cref="ArgumentException">Two fields have the same name.</exception>
    public static ColumnType StructOf(params IEnumerable<Column> fields)
    {
        var list = fields.ToArray();
        var duplicate = list.GroupBy(f => f.Name, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null) throw new ArgumentException($"A struct has two fields named '{duplicate.Key}'.", nameof(fields));
        return new(ColumnKind.Struct, null, list, null);
    }

    /// <summary>Text holding one of <paramref name="names"/> (an enum, written by name).</summary>
    public static ColumnType EnumOf(params IEnumerable<string> names) => new(ColumnKind.String, null, [], names.ToArray());

    /// <summary>The field named <paramref name="name"/> of a struct, or null.</summary>
    public Column? Field(string name) => Fields.FirstOrDefault(f => f.Name == name);

    /// <inheritdoc/>
    public bool Equals(ColumnType? other) =>
        other is not null && (ReferenceEquals(this, other)
            || Kind == other.Kind
            && Equals(Element, other.Element)
            && Fields.SequenceEqual(other.Fields)
            && (EnumValues ?? []).SequenceEqual(other.EnumValues ?? []));

    /// <inheritdoc/>
    public override bool Equals(object? obj) => Equals(obj as ColumnType);

    /// <inheritdoc/>
    public override int GetHashCode()
    {
        var hash = new HashCode();
        hash.Add(Kind);
        hash.Add(Element);
        foreach (var field in Fields) hash.Add(field);
        foreach (var value in EnumValues ?? []) hash.Add(value);
        return hash.ToHashCode();
    }

    /// <summary>Short notation: <c>string</c>, <c>int64</c>, <c>double</c>, <c>bool</c>, <c>json</c>, <c>list&lt;T&gt;</c>, <c>struct&lt;name: T, ...&gt;</c>, <c>enum(a|b)</c>.</summary>
    public override string ToString()
    {
        var text = new StringBuilder();
        Write(text);
        return text.ToString();
    }

    internal void Write(StringBuilder text)
    {
        switch (Kind)
        {
            case ColumnKind.String when EnumValues is { } values:
                text.Append("enum(").AppendJoin('|', values).Append(')');
                break;
            case ColumnKind.List:
                text.Append("list<");
                Element!.Write(text);
                text.Append('>');
                break;
            case ColumnKind.Struct:
                text.Append("struct<");
                for (var i = 0; i < Fields.Count; i++)
                {
                    if (i > 0) text.Append(", ");
                    Fields[i].Write(text);
                }
                text.Append('>');
                break;
            default:
                text.Append(Kind switch
                {
                    ColumnKind.String => "string",
                    ColumnKind.Integer => "int64",
                    ColumnKind.Number => "double",
                    ColumnKind.Boolean => "bool",
                    ColumnKind.Json => "json",
                    _ => "unknown",
                });
                break;
        }
    }
}

/// <summary>A named column (or struct field) with its type, whether it may be null, and its description.</summary>
/// <param name="Name">The column name, as rows and files carry it.</param>
/// <param name="Type">What it holds.</param>
/// <param name="Nullable">Whether a value may be null (every output column may: an answer that does not parse gives nulls).</param>
/// <param name="Description">From <c>[Description]</c> on the record property, if any.</param>
/// <param name="Rules">The rules its values keep, from DataAnnotations on the record property, if any.</param>
public sealed record Column(string Name, ColumnType Type, bool Nullable = true, string? Description = null, ColumnRules? Rules = null)
{
    internal void Write(StringBuilder text)
    {
        text.Append(Name).Append(": ");
        Type.Write(text);
        if (!Nullable) text.Append(" not null");
        Rules?.Write(text, Type);
    }

    /// <summary>
    /// <c>name: type</c>, with <c>not null</c> when it cannot be null and its rules in brackets,
    /// e.g. <c>scores: list&lt;double&gt; [1..6 each, 1.. items]</c>.
    /// </summary>
    public override string ToString()
    {
        var text = new StringBuilder();
        Write(text);
        return text.ToString();
    }
}
