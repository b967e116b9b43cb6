using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using Parquet;
using Parquet.Schema;
using Parquet.Serialization;

namespace Distil.Pipelines;

/// <summary>
/// Writes rows to Parquet with the types of a known <see cref="RowSchema"/>: strings, 64-bit
/// integers, doubles and booleans as themselves, lists as standard three-level Parquet lists
/// (<c>list</c>/<c>element</c>), records as structs, JSON and unknown columns as JSON text. Every
/// column, field and list item is optional, so a null anywhere is written as null, whatever came
/// before it. A value its column's type cannot hold stops the write with the column and the row.
/// </summary>
internal sealed class ParquetSchemaWriter
{
    private static readonly JsonSerializerOptions CompactJson = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private readonly RowSchema _schema;
    private readonly string _path;

    public ParquetSchemaWriter(RowSchema schema, string path)
    {
        _schema = schema;
        _path = path;
        Schema = new ParquetSchema(schema.Select(c => FieldOf(c.Name, c.Type)));
    }

    /// <summary>The Parquet schema the rows are written with.</summary>
    public ParquetSchema Schema { get; }

    /// <summary>The Parquet field of a column: nullable throughout, lists in the standard encoding.</summary>
    public static Field FieldOf(string name, ColumnType type) => type.Kind switch
    {
        ColumnKind.Integer => new DataField<long?>(name),
        ColumnKind.Number => new DataField<double?>(name),
        ColumnKind.Boolean => new DataField<bool?>(name),
        // Lists of lists of lists are rare enough to be kept as JSON text.
        ColumnKind.List when type.Element!.Kind == ColumnKind.List && type.Element.Element!.Kind == ColumnKind.List => new DataField<string>(name),
        ColumnKind.List => new ListField(name, FieldOf(ListField.ElementName, type.Element!)),
        ColumnKind.Struct when type.Fields.Count > 0 => new StructField(name, type.Fields.Select(f => FieldOf(f.Name, f.Type)).ToArray()),
        _ => new DataField<string>(name), // text, and JSON (or an empty record, or unknown) as JSON text
    };

    /// <summary>Writes one row group of <paramref name="rows"/> to <paramref name="stream"/>.</summary>
    /// <param name="stream">The file, readable and seekable (a row group is appended to what is there).</param>
    /// <param name="rows">The row group's rows.</param>
    /// <param name="firstRow">The 1-based number of the group's first row, for messages.</param>
    /// <param name="append">False for the file's first row group, true for the others.</param>
    /// <param name="cancellationToken">Stops the write.</param>
    public async Task WriteRowGroupAsync(Stream stream, IReadOnlyList<JsonObject> rows, long firstRow, bool append, CancellationToken cancellationToken)
    {
        var data = new List<IDictionary<string, object?>>(rows.Count);
        for (var i = 0; i < rows.Count; i++)
        {
            var values = new Dictionary<string, object?>(_schema.Count, StringComparer.Ordinal);
            foreach (var column in _schema)
            {
                rows[i].TryGetPropertyValue(column.Name, out var node);
                values[column.Name] = ValueOf(node, column.Type, column.Name, firstRow + i);
            }
            data.Add(values);
        }
        await ParquetSerializer.SerializeUntypedAsync(data, Schema, stream, new ParquetOptions { Append = append }, cancellationToken: cancellationToken)
            .ConfigureAwait(false);
    }

    private object? ValueOf(JsonNode? node, ColumnType type, string column, long row)
    {
        if (node is null) return null;
        switch (type.Kind)
        {
            case ColumnKind.Integer:
                return AsLong(node) ?? throw Misfit(column, row, node, "a whole number");
            case ColumnKind.Number:
                return AsDouble(node) ?? throw Misfit(column, row, node, "a number");
            case ColumnKind.Boolean:
                return node.GetValueKind() switch
                {
                    JsonValueKind.True => true,
                    JsonValueKind.False => false,
                    _ => throw Misfit(column, row, node, "true or false"),
                };
            case ColumnKind.List when type.Element!.Kind != ColumnKind.List || type.Element.Element!.Kind != ColumnKind.List:
                if (node is not JsonArray list) throw Misfit(column, row, node, "a list");
                return ListOf(list, type.Element!, column, row);
            case ColumnKind.Struct when type.Fields.Count > 0:
                if (node is not JsonObject record) throw Misfit(column, row, node, "an object");
                var fields = new Dictionary<string, object>(type.Fields.Count, StringComparer.Ordinal);
                foreach (var field in type.Fields)
                {
                    record.TryGetPropertyValue(field.Name, out var value);
                    fields[field.Name] = ValueOf(value, field.Type, $"{column}.{field.Name}", row)!;
                }
                return fields;
            case ColumnKind.String when node.GetValueKind() == JsonValueKind.String:
                return node.GetValue<string>();
            default:
                // JSON and unknown columns, and text columns given a number or a boolean: the value's JSON text.
                return node.ToJsonString(CompactJson);
        }
    }

    // The untyped serializer wants each list as an enumerable of exactly its item's CLR type: long?,
    // double?, bool?, character memory for text, a dictionary for a struct, and for a list of
    // lists an enumerable of those.
    private object ListOf(JsonArray list, ColumnType item, string column, long row)
    {
        var name = column + "[]";
        return item.Kind switch
        {
            ColumnKind.List => item.Element!.Kind switch
            {
                ColumnKind.Integer => Items<IEnumerable<long?>?>(list, n => n is JsonArray inner ? (List<long?>)ListOf(inner, item.Element, name, row) : null),
                ColumnKind.Number => Items<IEnumerable<double?>?>(list, n => n is JsonArray inner ? (List<double?>)ListOf(inner, item.Element, name, row) : null),
                ColumnKind.Boolean => Items<IEnumerable<bool?>?>(list, n => n is JsonArray inner ? (List<bool?>)ListOf(inner, item.Element, name, row) : null),
                ColumnKind.Struct when item.Element.Fields.Count > 0 =>
                    Items<IEnumerable<Dictionary<string, object>?>?>(list, n => n is JsonArray inner ? (List<Dictionary<string, object>?>)ListOf(inner, item.Element, name, row) : null),
                _ => Items<IEnumerable<ReadOnlyMemory<char>?>?>(list, n => n is JsonArray inner ? (List<ReadOnlyMemory<char>?>)ListOf(inner, item.Element, name, row) : null),
            },
            ColumnKind.Integer => Items(list, n => (long?)ValueOf(n, item, name, row)),
            ColumnKind.Number => Items(list, n => (double?)ValueOf(n, item, name, row)),
            ColumnKind.Boolean => Items(list, n => (bool?)ValueOf(n, item, name, row)),
            ColumnKind.Struct when item.Fields.Count > 0 => Items(list, n => (Dictionary<string, object>?)ValueOf(n, item, name, row)),
            // Parquet.Net 6 reads the items of a string list as character memory, not as strings.
            _ => Items(list, n => ValueOf(n, item, name, row) is string text ? (ReadOnlyMemory<char>?)text.AsMemory() : null),
        };
    }

    private static List<T> Items<T>(JsonArray list, Func<JsonNode?, T> convert)
    {
        var items = new List<T>(list.Count);
        foreach (var node in list) items.Add(convert(node));
        return items;
    }

    private InvalidDataException Misfit(string column, long row, JsonNode value, string expected) =>
        new($"{_path}: row {row}, column '{column}' holds {value.ToJsonString(CompactJson)}, but its type is declared as {expected}.");

    private static long? AsLong(JsonNode node)
    {
        if (node.GetValueKind() != JsonValueKind.Number) return null;
        var text = node.ToJsonString();
        if (long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var whole)) return whole;
        // 3.0 is a whole number written as a double.
        return double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var number) && number == Math.Floor(number) && Math.Abs(number) < 9e18
            ? (long)number
            : null;
    }

    private static double? AsDouble(JsonNode node) =>
        node.GetValueKind() == JsonValueKind.Number && double.TryParse(node.ToJsonString(), NumberStyles.Float, CultureInfo.InvariantCulture, out var number)
            ? number
            : null;
}
