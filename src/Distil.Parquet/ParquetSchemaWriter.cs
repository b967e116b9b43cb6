using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using Parquet;
using Parquet.Schema;

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
        // Each leaf column is shredded here into its values and its definition and repetition levels
        // (Parquet's record shredding), so that a null at any depth, an empty list and a null list
        // are written as such, whatever the neighbouring items hold.
        await using var writer = await ParquetWriter.CreateAsync(Schema, stream, new ParquetOptions(), append, cancellationToken).ConfigureAwait(false);
        using var group = writer.CreateRowGroup();
        for (var c = 0; c < _schema.Count; c++)
        {
            var column = _schema[c];
            var field = Schema.Fields[c];
            foreach (var path in LeafPaths(field, column.Type))
            {
                cancellationToken.ThrowIfCancellationRequested();
                var leaf = new Leaf(path);
                for (var i = 0; i < rows.Count; i++)
                {
                    rows[i].TryGetPropertyValue(column.Name, out var node);
                    Shred(leaf, 0, node, definition: 0, repetition: 0, column.Name, firstRow + i);
                }
                await leaf.WriteAsync(group, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>One step from a column down to one of its leaves: a field and the type Distil gave it.</summary>
    private readonly record struct Step(Field Field, ColumnType Type);

    // Every path from a column's field to a leaf (a data field): one for a scalar or a list of
    // scalars, one per leaf for structs.
    private static IEnumerable<IReadOnlyList<Step>> LeafPaths(Field field, ColumnType type)
    {
        var step = new Step(field, type);
        switch (field)
        {
            case ListField list:
                foreach (var rest in LeafPaths(list.Item, type.Element!)) yield return [step, .. rest];
                break;
            case StructField structure:
                for (var i = 0; i < structure.Fields.Count; i++)
                {
                    foreach (var rest in LeafPaths(structure.Fields[i], type.Fields[i].Type)) yield return [step, .. rest];
                }
                break;
            default:
                yield return [step];
                break;
        }
    }

    // Rule: Parquet's record shredding. A value missing at some depth is written as one entry whose
    // definition level is that of its deepest present ancestor; an empty list as one entry one
    // below the list's repeated level; the first item of a list carries the repetition level its
    // list arrived with, the next ones the list's own repetition level.
    private void Shred(Leaf leaf, int depth, JsonNode? node, int definition, int repetition, string column, long row)
    {
        var (field, type) = leaf.Path[depth];
        if (node is null || node.GetValueKind() == JsonValueKind.Null)
        {
            leaf.Add(null, definition, repetition);
            return;
        }
        switch (field)
        {
            case ListField list:
                if (node is not JsonArray items) throw Misfit(column, row, node, "a list");
                if (items.Count == 0)
                {
                    leaf.Add(null, list.MaxDefinitionLevel - 1, repetition);
                    return;
                }
                for (var i = 0; i < items.Count; i++)
                    Shred(leaf, depth + 1, items[i], list.MaxDefinitionLevel, i == 0 ? repetition : list.MaxRepetitionLevel, column + "[]", row);
                return;
            case StructField structure:
                if (node is not JsonObject record) throw Misfit(column, row, node, "an object");
                var member = leaf.Path[depth + 1].Field.Name;
                record.TryGetPropertyValue(member, out var value);
                Shred(leaf, depth + 1, value, structure.MaxDefinitionLevel, repetition, $"{column}.{member}", row);
                return;
            default:
                leaf.Add(ValueOf(node, type, column, row), field.MaxDefinitionLevel, repetition);
                return;
        }
    }

    /// <summary>One leaf column being shredded: its present values, and a definition and a repetition level per entry.</summary>
    private sealed class Leaf(IReadOnlyList<Step> path)
    {
        private readonly List<object> _values = [];
        private readonly List<int> _definitions = [];
        private readonly List<int> _repetitions = [];

        public IReadOnlyList<Step> Path { get; } = path;

        private DataField Data => (DataField)Path[^1].Field;

        public void Add(object? value, int definition, int repetition)
        {
            if (value is not null) _values.Add(value);
            _definitions.Add(definition);
            _repetitions.Add(repetition);
        }

        public Task WriteAsync(ParquetRowGroupWriter group, CancellationToken cancellationToken)
        {
            var type = Nullable.GetUnderlyingType(Data.ClrType) ?? Data.ClrType;
            if (type == typeof(long)) return WriteAsync(group, _values.Select(v => (long)v), cancellationToken);
            if (type == typeof(double)) return WriteAsync(group, _values.Select(v => (double)v), cancellationToken);
            if (type == typeof(bool)) return WriteAsync(group, _values.Select(v => (bool)v), cancellationToken);
            // Parquet.Net writes text from character memory.
            return WriteAsync(group, _values.Select(v => ((string)v).AsMemory()), cancellationToken);
        }

        private async Task WriteAsync<T>(ParquetRowGroupWriter group, IEnumerable<T> values, CancellationToken cancellationToken) where T : struct =>
            await group.WriteAllPartsAsync<T>(
                Data,
                values.ToArray(),
                _definitions.ToArray(),
                Data.MaxRepetitionLevel > 0 ? _repetitions.ToArray() : null,
                cancellationToken).ConfigureAwait(false);
    }

    // A leaf's value: lists and structs are shredded above, so what arrives here is a scalar, or a
    // value kept as JSON text.
    private object ValueOf(JsonNode node, ColumnType type, string column, long row)
    {
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
            case ColumnKind.String when node.GetValueKind() == JsonValueKind.String:
                return node.GetValue<string>();
            default:
                // JSON and unknown columns, and text columns given a number or a boolean: the value's JSON text.
                return node.ToJsonString(CompactJson);
        }
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
