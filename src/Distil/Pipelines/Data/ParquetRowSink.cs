using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using Parquet;
using Parquet.Schema;

namespace Distil.Pipelines;

/// <summary>
/// Writes rows to a Parquet file that pandas, pyarrow and Hugging Face datasets read. The schema is inferred from the
/// first row group's rows, column by column, in the order the columns first appear:
/// <list type="bullet">
/// <item>only strings: a string column; only integers: a 64-bit integer column; only numbers: a double column;
/// only booleans: a boolean column;</item>
/// <item>only arrays of strings: a list of strings; only arrays of numbers: a list of 64-bit integers, or of doubles
/// when one is not an integer;</item>
/// <item>anything else (objects, arrays of objects or of mixed items, a mix of kinds): a string column holding each
/// value's compact JSON text;</item>
/// <item>only nulls: a string column.</item>
/// </list>
/// Every column is nullable, and so is every list item. The schema is then fixed: a later value that does not fit its
/// column, or a column that the first row group did not have, stops the write with an
/// <see cref="InvalidDataException"/>. A string column takes a number or a boolean as its JSON text, and a JSON
/// column takes anything.
/// </summary>
/// <remarks>
/// The schema-typed path (<see cref="FileRowSink.WriteAsync(IAsyncEnumerable{JsonObject}, RowSinkContext, CancellationToken)"/>)
/// is the one pipelines use; the context-free one, which infers as above, is kept until the Parquet writer is one.
/// </remarks>
// IRowSink again: the context-free method below replaces the interface's default, which would take the typed path.
public sealed class ParquetRowSink : FileRowSink, IRowSink
{
    private static readonly JsonSerializerOptions CompactJson = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private readonly int _rowGroupSize;

    /// <summary>Writes to <paramref name="path"/> (created with its folder; replaced when the run completes).</summary>
    /// <param name="path">The file to write.</param>
    /// <param name="rowGroupSize">How many rows each row group holds; the first row group's rows decide the schema.</param>
    public ParquetRowSink(string path, int rowGroupSize = 10_000) : base(path, "parquet")
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(rowGroupSize, 1);
        _rowGroupSize = rowGroupSize;
    }

    /// <inheritdoc/>
    protected override bool NeedsCompleteSchema => true;

    /// <summary>
    /// Writes every row with the types of the schema (what a pipeline knows from its tasks' records and its sources,
    /// completed over the spooled rows for columns it does not type): nested records as structs, lists as typed
    /// lists, nulls anywhere.
    /// </summary>
    /// <exception cref="InvalidDataException">A value its column's type cannot hold, or no row has any column; the message names the column and the row.</exception>
    protected override async Task WriteFileAsync(Stream file, IAsyncEnumerable<JsonObject> rows, RowSchema? schema, RowSinkContext context, CancellationToken cancellationToken)
    {
        if (schema!.Count == 0) throw new InvalidDataException($"{Path}: no row has any column, and a Parquet file needs at least one.");
        var writer = new ParquetSchemaWriter(schema, Path);
        var buffer = new List<JsonObject>(Math.Min(_rowGroupSize, 100_000));
        long written = 0;
        await foreach (var row in rows.WithCancellation(cancellationToken).ConfigureAwait(false))
        {
            buffer.Add(row);
            if (buffer.Count < _rowGroupSize) continue;
            await writer.WriteRowGroupAsync(file, buffer, written + 1, append: written > 0, cancellationToken).ConfigureAwait(false);
            written += buffer.Count;
            buffer.Clear();
        }
        if (buffer.Count > 0 || written == 0)
        {
            await writer.WriteRowGroupAsync(file, buffer, written + 1, append: written > 0, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <inheritdoc/>
    /// <exception cref="InvalidDataException">
    /// A value does not fit its column, a column appears after the first row group, or no row has any column; the
    /// message names the column and the row.
    /// </exception>
    public Task WriteAsync(IAsyncEnumerable<JsonObject> rows, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(rows);
        return ReplaceFileAsync(async (stream, cancellationToken) =>
            {
                var buffer = new List<JsonObject>(Math.Min(_rowGroupSize, 100_000));
                long firstRowOfBuffer = 1;
                List<Column>? columns = null;
                ParquetWriter? writer = null;
                await foreach (var row in rows.WithCancellation(cancellationToken).ConfigureAwait(false))
                {
                    buffer.Add(row);
                    if (buffer.Count < _rowGroupSize) continue;
                    columns ??= InferColumns(buffer);
                    writer ??= await CreateWriterAsync(columns, stream, cancellationToken).ConfigureAwait(false);
                    await WriteRowGroupAsync(writer, columns, buffer, firstRowOfBuffer, cancellationToken).ConfigureAwait(false);
                    firstRowOfBuffer += buffer.Count;
                    buffer.Clear();
                }

                if (buffer.Count > 0 || writer is null)
                {
                    columns ??= InferColumns(buffer);
                    writer ??= await CreateWriterAsync(columns, stream, cancellationToken).ConfigureAwait(false);
                    if (buffer.Count > 0) await WriteRowGroupAsync(writer, columns, buffer, firstRowOfBuffer, cancellationToken).ConfigureAwait(false);
                }

                // Disposing the writer writes the footer; only a complete enumeration gets one, since a failed
                // write deletes the file anyway.
                await writer!.DisposeAsync().ConfigureAwait(false);
            }, cancellationToken);
    }

    private async Task<ParquetWriter> CreateWriterAsync(List<Column> columns, Stream stream, CancellationToken cancellationToken)
    {
        if (columns.Count == 0)
            throw new InvalidDataException($"{Path}: no row has any column, and a Parquet file needs at least one.");
        var schema = new ParquetSchema(columns.Select(column => column.Field));
        return await ParquetWriter.CreateAsync(schema, stream, options: null, append: false, cancellationToken: cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The kind of Parquet column a JSON column is written as.</summary>
    private enum ColumnKind { String, Long, Double, Bool, StringList, LongList, DoubleList, Json }

    /// <summary>
    /// A column of the file: its kind, the field in the schema, and the data field whose values are written (the
    /// list's item for a list column, else the field itself).
    /// </summary>
    private sealed record Column(string Name, ColumnKind Kind, Field Field, DataField Data);

    /// <summary>What JSON kinds a column's values had, across the first row group.</summary>
    private sealed class Seen
    {
        public bool Strings, Integers, Fractions, Booleans, Objects, Arrays;
        public bool ItemStrings, ItemIntegers, ItemFractions, ItemOthers;

        public ColumnKind Kind
        {
            get
            {
                if (Arrays)
                {
                    if (Strings || Integers || Fractions || Booleans || Objects || ItemOthers) return ColumnKind.Json;
                    var numbers = ItemIntegers || ItemFractions;
                    if (ItemStrings && numbers) return ColumnKind.Json;
                    if (ItemFractions) return ColumnKind.DoubleList;
                    if (ItemIntegers) return ColumnKind.LongList;
                    // Strings, or only empty arrays and null items: strings are the likeliest content.
                    return ColumnKind.StringList;
                }
                if (Objects) return ColumnKind.Json;
                var scalarKinds = (Strings ? 1 : 0) + (Integers || Fractions ? 1 : 0) + (Booleans ? 1 : 0);
                if (scalarKinds > 1) return ColumnKind.Json;
                if (Integers || Fractions) return Fractions ? ColumnKind.Double : ColumnKind.Long;
                if (Booleans) return ColumnKind.Bool;
                return ColumnKind.String;
            }
        }
    }

    private static List<Column> InferColumns(List<JsonObject> rows)
    {
        var order = new List<string>();
        var seen = new Dictionary<string, Seen>(StringComparer.Ordinal);
        foreach (var row in rows)
        {
            foreach (var (name, value) in row)
            {
                if (!seen.TryGetValue(name, out var column))
                {
                    seen[name] = column = new Seen();
                    order.Add(name);
                }
                switch (value?.GetValueKind() ?? JsonValueKind.Null)
                {
                    case JsonValueKind.String: column.Strings = true; break;
                    case JsonValueKind.Number when TryGetInt64(value!.AsValue(), out _): column.Integers = true; break;
                    case JsonValueKind.Number: column.Fractions = true; break;
                    case JsonValueKind.True or JsonValueKind.False: column.Booleans = true; break;
                    case JsonValueKind.Object: column.Objects = true; break;
                    case JsonValueKind.Array:
                        column.Arrays = true;
                        foreach (var item in value!.AsArray())
                        {
                            switch (item?.GetValueKind() ?? JsonValueKind.Null)
                            {
                                case JsonValueKind.Null: break;
                                case JsonValueKind.String: column.ItemStrings = true; break;
                                case JsonValueKind.Number when TryGetInt64(item!.AsValue(), out _): column.ItemIntegers = true; break;
                                case JsonValueKind.Number: column.ItemFractions = true; break;
                                default: column.ItemOthers = true; break;
                            }
                        }
                        break;
                }
            }
        }
        return order.Select(name => NewColumn(name, seen[name].Kind)).ToList();
    }

    private static Column NewColumn(string name, ColumnKind kind)
    {
        // Lists use Parquet's standard three-level LIST layout (name/list/element), which pyarrow reads as list<...>.
        DataField data;
        switch (kind)
        {
            case ColumnKind.String or ColumnKind.Json:
                data = new DataField<string>(name, nullable: true);
                return new Column(name, kind, data, data);
            case ColumnKind.Long:
                data = new DataField<long>(name, nullable: true);
                return new Column(name, kind, data, data);
            case ColumnKind.Double:
                data = new DataField<double>(name, nullable: true);
                return new Column(name, kind, data, data);
            case ColumnKind.Bool:
                data = new DataField<bool>(name, nullable: true);
                return new Column(name, kind, data, data);
            case ColumnKind.StringList:
                data = new DataField<string>(ListField.ElementName, nullable: true);
                return new Column(name, kind, new ListField(name, data), data);
            case ColumnKind.LongList:
                data = new DataField<long>(ListField.ElementName, nullable: true);
                return new Column(name, kind, new ListField(name, data), data);
            default:
                data = new DataField<double>(ListField.ElementName, nullable: true);
                return new Column(name, kind, new ListField(name, data), data);
        }
    }

    private async Task WriteRowGroupAsync(ParquetWriter writer, List<Column> columns, List<JsonObject> rows, long firstRow, CancellationToken cancellationToken)
    {
        CheckColumns(columns, rows, firstRow);
        using var group = writer.CreateRowGroup();
        foreach (var column in columns)
        {
            cancellationToken.ThrowIfCancellationRequested();
            switch (column.Kind)
            {
                case ColumnKind.String or ColumnKind.Json:
                    await group.WriteAsync(column.Data, Strings(column, rows, firstRow)).ConfigureAwait(false);
                    break;
                case ColumnKind.Long:
                    await group.WriteAsync<long>(column.Data, Scalars<long>(column, rows, firstRow, AsLong), cancellationToken: cancellationToken).ConfigureAwait(false);
                    break;
                case ColumnKind.Double:
                    await group.WriteAsync<double>(column.Data, Scalars<double>(column, rows, firstRow, AsDouble), cancellationToken: cancellationToken).ConfigureAwait(false);
                    break;
                case ColumnKind.Bool:
                    await group.WriteAsync<bool>(column.Data, Scalars<bool>(column, rows, firstRow, AsBool), cancellationToken: cancellationToken).ConfigureAwait(false);
                    break;
                case ColumnKind.StringList:
                    await WriteListAsync<ReadOnlyMemory<char>>(group, column, rows, firstRow, item => AsStringOrNull(item)?.AsMemory(), cancellationToken).ConfigureAwait(false);
                    break;
                case ColumnKind.LongList:
                    await WriteListAsync<long>(group, column, rows, firstRow, AsLong, cancellationToken).ConfigureAwait(false);
                    break;
                case ColumnKind.DoubleList:
                    await WriteListAsync<double>(group, column, rows, firstRow, AsDouble, cancellationToken).ConfigureAwait(false);
                    break;
            }
        }
        group.CompleteValidate();
    }

    /// <summary>The schema is fixed after the first row group: a later row must not bring a new column.</summary>
    private void CheckColumns(List<Column> columns, List<JsonObject> rows, long firstRow)
    {
        var known = columns.Select(column => column.Name).ToHashSet(StringComparer.Ordinal);
        for (var i = 0; i < rows.Count; i++)
        {
            foreach (var (name, value) in rows[i])
            {
                // A null in an unknown column loses nothing: reading the file back gives no value there either.
                if (value is null || value.GetValueKind() == JsonValueKind.Null || known.Contains(name)) continue;
                throw new InvalidDataException(
                    $"{Path} row {firstRow + i}: column '{name}' is not in the file's schema, which the first {_rowGroupSize} rows fixed " +
                    $"({string.Join(", ", known)}). Give the first rows every column (null where there is no value).");
            }
        }
    }

    /// <summary>A string or JSON column's values: strings as they are; other values as their compact JSON text.</summary>
    private string?[] Strings(Column column, List<JsonObject> rows, long firstRow)
    {
        var values = new string?[rows.Count];
        for (var i = 0; i < rows.Count; i++)
        {
            var value = rows[i][column.Name];
            var kind = value?.GetValueKind() ?? JsonValueKind.Null;
            values[i] = kind switch
            {
                JsonValueKind.Null => null,
                JsonValueKind.String when column.Kind == ColumnKind.String => AsString(value!),
                JsonValueKind.Object or JsonValueKind.Array when column.Kind == ColumnKind.String =>
                    throw Misfit(column, firstRow + i, value!, "a string, a number or a boolean"),
                _ => value!.ToJsonString(CompactJson),
            };
        }
        return values;
    }

    /// <summary>A scalar column's values, null where a row has none.</summary>
    private ReadOnlyMemory<T?> Scalars<T>(Column column, List<JsonObject> rows, long firstRow, Func<JsonNode, T?> convert) where T : struct
    {
        var values = new T?[rows.Count];
        for (var i = 0; i < rows.Count; i++)
        {
            var value = rows[i][column.Name];
            if (value is null || value.GetValueKind() == JsonValueKind.Null) continue;
            values[i] = convert(value) ?? throw Misfit(column, firstRow + i, value, Expected(column.Kind));
        }
        return values;
    }

    /// <summary>
    /// Writes a list column with explicit definition and repetition levels, which is how Parquet tells a null list
    /// from an empty one and a null item from a present one.
    /// </summary>
    private async Task WriteListAsync<T>(ParquetRowGroupWriter group, Column column, List<JsonObject> rows, long firstRow, Func<JsonNode, T?> convert, CancellationToken cancellationToken)
        where T : struct
    {
        // The levels come from the schema: the item's maximum means a present item; one less, a null item; one
        // less than the list's own maximum, an empty list; zero, a null list.
        var present = column.Data.MaxDefinitionLevel;
        var nullItem = column.Field.MaxDefinitionLevel;
        var emptyList = column.Field.MaxDefinitionLevel - 1;
        const int nullList = 0;

        var values = new List<T>();
        var definitions = new List<int>();
        var repetitions = new List<int>();
        for (var i = 0; i < rows.Count; i++)
        {
            var value = rows[i][column.Name];
            if (value is null || value.GetValueKind() == JsonValueKind.Null)
            {
                definitions.Add(nullList);
                repetitions.Add(0);
                continue;
            }
            if (value.GetValueKind() != JsonValueKind.Array) throw Misfit(column, firstRow + i, value, Expected(column.Kind));
            var items = value.AsArray();
            if (items.Count == 0)
            {
                definitions.Add(emptyList);
                repetitions.Add(0);
                continue;
            }
            for (var j = 0; j < items.Count; j++)
            {
                // Repetition level 0 starts a new row; 1 continues the current row's list.
                repetitions.Add(j == 0 ? 0 : 1);
                var item = items[j];
                if (item is null || item.GetValueKind() == JsonValueKind.Null)
                {
                    definitions.Add(nullItem);
                    continue;
                }
                values.Add(convert(item) ?? throw Misfit(column, firstRow + i, value, Expected(column.Kind)));
                definitions.Add(present);
            }
        }

        await group.WriteAllPartsAsync<T>(
            column.Data,
            new ReadOnlyMemory<T>(values.ToArray()),
            new ReadOnlyMemory<int>(definitions.ToArray()),
            new ReadOnlyMemory<int>(repetitions.ToArray()),
            cancellationToken).ConfigureAwait(false);
    }

    private static string Expected(ColumnKind kind) => kind switch
    {
        ColumnKind.Long => "an integer",
        ColumnKind.Double => "a number",
        ColumnKind.Bool => "a boolean",
        ColumnKind.StringList => "an array of strings",
        ColumnKind.LongList => "an array of integers",
        ColumnKind.DoubleList => "an array of numbers",
        _ => "a string",
    };

    private InvalidDataException Misfit(Column column, long row, JsonNode value, string expected)
    {
        var text = value.ToJsonString(CompactJson);
        if (text.Length > 80) text = text[..77] + "...";
        return new InvalidDataException(
            $"{Path} row {row}: column '{column.Name}' holds {expected} (inferred from the first {_rowGroupSize} rows), " +
            $"but this row has {KindName(value)} {text}.");
    }

    private static string KindName(JsonNode value) => value.GetValueKind() switch
    {
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        JsonValueKind.Number => "a number",
        JsonValueKind.String => "a string",
        JsonValueKind.Array => "an array",
        JsonValueKind.Object => "an object",
        var other => other.ToString().ToLowerInvariant(),
    };

    private static long? AsLong(JsonNode node) =>
        node.GetValueKind() == JsonValueKind.Number && TryGetInt64(node.AsValue(), out var number) ? number : null;

    private static double? AsDouble(JsonNode node)
    {
        if (node.GetValueKind() != JsonValueKind.Number) return null;
        var value = node.AsValue();
        if (value.TryGetValue(out double number)) return number;
        // Numbers held as other CLR types (int, decimal, ...): their JSON text is what a reader would see.
        return double.Parse(value.ToJsonString(), NumberStyles.Float, CultureInfo.InvariantCulture);
    }

    private static bool? AsBool(JsonNode node) => node.GetValueKind() switch
    {
        JsonValueKind.True => true,
        JsonValueKind.False => false,
        _ => null,
    };

    /// <summary>A string item of a string list; null (a misfit) when the item is not a string.</summary>
    private static string? AsStringOrNull(JsonNode node) => node.GetValueKind() == JsonValueKind.String ? AsString(node) : null;

    private static string AsString(JsonNode node)
    {
        var value = node.AsValue();
        if (value.TryGetValue(out string? text)) return text;
        // Values created from other CLR types that serialize as strings (Guid, DateTime, char, ...).
        return JsonSerializer.Deserialize(value.ToJsonString(), DistilJson.Default.String) ?? "";
    }

    private static bool TryGetInt64(JsonValue value, out long number)
    {
        if (value.TryGetValue(out number)) return true;
        if (value.TryGetValue(out int small))
        {
            number = small;
            return true;
        }
        // Other CLR-backed numbers decide by their JSON text, so 3.0 held as a double counts as a fraction only if it
        // is written as one.
        return long.TryParse(value.ToJsonString(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out number);
    }
}
