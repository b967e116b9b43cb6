using System.Text.Json;
using System.Text.Json.Nodes;

namespace Distil;

/// <summary>
/// Finds the types of columns from their values, over every row (never only the first ones), and
/// combines two types into one that holds the values of both.
/// </summary>
internal static class SchemaWidening
{
    /// <summary>
    /// The type that holds values of both <paramref name="a"/> and <paramref name="b"/>, or null when
    /// none does short of JSON text: unknown gives way to anything, integers widen to numbers, an
    /// enum to text, lists by their items, structs by the union of their fields.
    /// </summary>
    public static ColumnType? Widen(ColumnType a, ColumnType b)
    {
        if (a.Equals(b)) return a;
        if (a.Kind == ColumnKind.Unknown) return b;
        if (b.Kind == ColumnKind.Unknown) return a;
        return (a.Kind, b.Kind) switch
        {
            (ColumnKind.Integer, ColumnKind.Number) or (ColumnKind.Number, ColumnKind.Integer) => ColumnType.Number,
            (ColumnKind.String, ColumnKind.String) => ColumnType.String, // an enum and other text
            (ColumnKind.List, ColumnKind.List) => Widen(a.Element!, b.Element!) is { } item ? ColumnType.ListOf(item) : null,
            (ColumnKind.Struct, ColumnKind.Struct) => WidenStructs(a, b),
            _ => null,
        };
    }

    private static ColumnType? WidenStructs(ColumnType a, ColumnType b)
    {
        var fields = new List<Column>();
        foreach (var field in a.Fields)
        {
            if (b.Field(field.Name) is not { } other)
            {
                fields.Add(field with { Nullable = true });
                continue;
            }
            if (Widen(field.Type, other.Type) is not { } type) return null;
            fields.Add(field with { Type = type, Nullable = field.Nullable || other.Nullable });
        }
        fields.AddRange(b.Fields.Where(f => a.Field(f.Name) is null).Select(f => f with { Nullable = true }));
        return ColumnType.StructOf(fields);
    }

    /// <summary>The schema of <paramref name="rows"/>: every column any row has, in the order first seen, typed over all rows; null when there are none.</summary>
    public static async ValueTask<RowSchema?> InferAsync(IAsyncEnumerable<JsonObject> rows, CancellationToken cancellationToken)
    {
        var types = new Dictionary<string, ColumnType>(StringComparer.Ordinal);
        var order = new List<string>();
        var any = false;
        await foreach (var row in rows.WithCancellation(cancellationToken).ConfigureAwait(false))
        {
            any = true;
            foreach (var (name, value) in row)
            {
                var type = Of(value);
                if (!types.TryGetValue(name, out var known))
                {
                    types[name] = type;
                    order.Add(name);
                }
                else if (!ReferenceEquals(known, type))
                {
                    // Values that no one type holds (text here, numbers there) are kept as JSON text.
                    types[name] = Widen(known, type) ?? ColumnType.Json;
                }
            }
        }
        return any ? new RowSchema(order.Select(name => new Column(name, types[name]))) : null;
    }

    /// <summary>The type of one value (unknown for null; a list of unknown when empty or all null).</summary>
    public static ColumnType Of(JsonNode? value)
    {
        switch (value)
        {
            case null:
                return ColumnType.Unknown;
            case JsonArray list:
                var item = ColumnType.Unknown;
                foreach (var element in list) item = Widen(item, Of(element)) ?? ColumnType.Json;
                return ColumnType.ListOf(item);
            case JsonObject record:
                return ColumnType.StructOf(record.Select(p => new Column(p.Key, Of(p.Value))));
            default:
                return value.GetValueKind() switch
                {
                    JsonValueKind.String => ColumnType.String,
                    JsonValueKind.True or JsonValueKind.False => ColumnType.Boolean,
                    JsonValueKind.Number => IsWhole(value.ToJsonString()) ? ColumnType.Integer : ColumnType.Number,
                    _ => ColumnType.Unknown,
                };
        }
    }

    private static bool IsWhole(string number) =>
        long.TryParse(number, System.Globalization.NumberStyles.AllowLeadingSign, System.Globalization.CultureInfo.InvariantCulture, out _);
}
