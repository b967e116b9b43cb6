using System.Collections;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text.Json.Nodes;
using Parquet;
using Parquet.Schema;
using Parquet.Serialization;

namespace Distil.Pipelines;

/// <summary>
/// Rows from a Parquet file, such as pandas, pyarrow or Hugging Face datasets write. Each row becomes a
/// <see cref="JsonObject"/>: numbers, strings, booleans and nulls as they are; lists as arrays; structs and maps as
/// objects; dates and timestamps as ISO 8601 strings; binary values as base64 strings.
/// </summary>
public sealed class ParquetRowSource : IRowSource
{
    /// <summary>Reads rows from <paramref name="path"/>.</summary>
    public ParquetRowSource(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        Path = System.IO.Path.GetFullPath(path);
    }

    /// <summary>The file's full path.</summary>
    public string Path { get; }

    /// <inheritdoc/>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    public string Describe() => FileDescription.Of("parquet", Path);

    /// <inheritdoc/>
    /// <remarks>
    /// The file is read one row group at a time, so memory holds at most one row group's rows.
    /// </remarks>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is not Parquet, or a row group cannot be read; the message names the file and the row group.</exception>
    public async IAsyncEnumerable<JsonObject> ReadAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await using var stream = FileDescription.OpenRead(Path);
        int groups;
        ParquetSchema schema;
        await using (var reader = await OpenAsync(stream, cancellationToken).ConfigureAwait(false))
        {
            groups = reader.RowGroupCount;
            schema = reader.Schema;
        }
        // A second handle on the file reads the definition levels of list columns.
        await using var levelStream = FileDescription.OpenRead(Path);
        await using var levels = await OpenAsync(levelStream, cancellationToken).ConfigureAwait(false);

        for (var group = 0; group < groups; group++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            IList<Dictionary<string, object>> records;
            try
            {
                // The untyped serializer rebuilds nested values (lists, structs, maps) from the column data, and
                // reading one row group per call keeps memory bounded by that row group.
                var result = await ParquetSerializer.DeserializeUntypedAsync(stream, options: null, rowGroupIndex: group, cancellationToken: cancellationToken)
                    .ConfigureAwait(false);
                records = result.Data;
            }
            catch (Exception error) when (error is not OperationCanceledException)
            {
                throw new InvalidDataException($"{Path} row group {group + 1} of {groups}: cannot read it ({error.Message}).", error);
            }

            var lists = await ListLevelsAsync(levels, schema, group, cancellationToken).ConfigureAwait(false);
            for (var i = 0; i < records.Count; i++)
            {
                var row = ToRow(records[i], schema);
                // The untyped reader drops null items from lists of values and gives an empty list as
                // null; the file's definition levels put both back.
                foreach (var list in lists)
                {
                    if (i < list.Rows.Length) row[list.Column] = list.Rebuild(row[list.Column], list.Rows[i]);
                }
                yield return row;
            }
        }
    }

    // The definition levels of each top-level list of plain values, row by row.
    private static async Task<List<ListLevels>> ListLevelsAsync(ParquetReader reader, ParquetSchema schema, int group, CancellationToken cancellationToken)
    {
        var found = new List<ListLevels>();
        var lists = schema.Fields.OfType<ListField>().Where(l => l.Item is DataField).ToList();
        if (lists.Count == 0) return found;
        using var groupReader = reader.OpenRowGroupReader(group);
        foreach (var list in lists)
        {
            using var raw = await groupReader.ReadRawColumnDataBaseAsync((DataField)list.Item, cancellationToken).ConfigureAwait(false);
            // The list field's level counts its repeated group: a list defined with no entry is one below it.
            found.Add(new ListLevels(list.Name, list.MaxDefinitionLevel - 1, list.Item.MaxDefinitionLevel, Split(raw)));
        }
        return found;
    }

    private static int[][] Split(Parquet.Data.RawColumnData raw)
    {
        var definitions = raw.DefinitionLevels;
        var repetitions = raw.RepetitionLevels;
        var rows = new List<int[]>();
        var current = new List<int>();
        for (var i = 0; i < definitions.Length; i++)
        {
            // Repetition level 0 starts a row.
            if ((repetitions.Length == 0 || repetitions[i] == 0) && i > 0)
            {
                rows.Add([.. current]);
                current.Clear();
            }
            current.Add(definitions[i]);
        }
        if (definitions.Length > 0) rows.Add([.. current]);
        return [.. rows];
    }

    /// <summary>One list column's entries per row: each entry's definition level.</summary>
    private sealed record ListLevels(string Column, int Empty, int ItemPresent, int[][] Rows)
    {
        /// <summary>The row's list, from the values the untyped reader gave and the row's levels.</summary>
        public JsonNode? Rebuild(JsonNode? read, int[] entries)
        {
            if (entries.Length == 0 || entries[0] < Empty) return read is JsonArray ? read : null;
            if (entries[0] == Empty) return new JsonArray();
            var values = read as JsonArray;
            var next = 0;
            var list = new JsonArray();
            foreach (var level in entries)
            {
                if (level >= ItemPresent && values is not null && next < values.Count) list.Add(values[next++]?.DeepClone());
                else list.Add(null);
            }
            return list;
        }
    }

    /// <inheritdoc/>
    /// <remarks>The count comes from the file's footer, without reading any rows.</remarks>
    public async ValueTask<long?> CountAsync(CancellationToken cancellationToken)
    {
        await using var stream = FileDescription.OpenRead(Path);
        await using var reader = await OpenAsync(stream, cancellationToken).ConfigureAwait(false);
        return reader.Metadata?.NumRows;
    }

    /// <inheritdoc/>
    /// <remarks>
    /// The file's own schema, from its footer, without reading any rows: integers of every width as
    /// 64-bit integers, floating-point and decimal numbers as doubles, lists, structs as structs,
    /// maps as JSON, dates, times and binary values as text (as <see cref="ReadAsync"/> gives them).
    /// </remarks>
    public async ValueTask<RowSchema?> SchemaAsync(CancellationToken cancellationToken)
    {
        await using var stream = FileDescription.OpenRead(Path);
        await using var reader = await OpenAsync(stream, cancellationToken).ConfigureAwait(false);
        return new RowSchema(reader.Schema.Fields.Select(f => new Column(f.Name, TypeOf(f))));
    }

    private static ColumnType TypeOf(Field field) => field switch
    {
        ListField list => ColumnType.ListOf(TypeOf(list.Item)),
        StructField structure => ColumnType.StructOf(structure.Fields.Select(f => new Column(f.Name, TypeOf(f)))),
        MapField => ColumnType.Json,
        DataField { IsArray: true } repeated => ColumnType.ListOf(ScalarType(repeated.ClrType)),
        DataField data => ScalarType(data.ClrType),
        _ => ColumnType.Json,
    };

    private static ColumnType ScalarType(Type type)
    {
        type = Nullable.GetUnderlyingType(type) ?? type;
        if (type == typeof(bool)) return ColumnType.Boolean;
        if (type == typeof(long) || type == typeof(int) || type == typeof(short) || type == typeof(sbyte)
            || type == typeof(byte) || type == typeof(ushort) || type == typeof(uint)) return ColumnType.Integer;
        if (type == typeof(double) || type == typeof(float) || type == typeof(decimal)) return ColumnType.Number;
        // Text, and what reads as text: dates, times, binary (base64), big integers.
        return ColumnType.String;
    }

    private async Task<ParquetReader> OpenAsync(Stream stream, CancellationToken cancellationToken)
    {
        try
        {
            return await ParquetReader.CreateAsync(stream, parquetOptions: null, leaveStreamOpen: true, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch (Exception error) when (error is not OperationCanceledException)
        {
            throw new InvalidDataException($"{Path}: not a readable Parquet file ({error.Message}).", error);
        }
    }

    /// <summary>
    /// One record as a row, its columns in the schema's order. The untyped serializer leaves null values out of its
    /// dictionaries, so the schema, not the record, says which columns a row has.
    /// </summary>
    private static JsonObject ToRow(Dictionary<string, object> record, ParquetSchema schema)
    {
        var row = new JsonObject();
        foreach (var field in schema.Fields)
            row[field.Name] = record.TryGetValue(field.Name, out var value) ? ToNode(value, field) : null;
        return row;
    }

    /// <summary>A value read from <paramref name="field"/> as JSON.</summary>
    private static JsonNode? ToNode(object? value, Field field)
    {
        switch (value)
        {
            case null:
                return null;
            case IDictionary<string, object> members when field is StructField structure:
                var obj = new JsonObject();
                foreach (var member in structure.Fields)
                    obj[member.Name] = members.TryGetValue(member.Name, out var memberValue) ? ToNode(memberValue, member) : null;
                return obj;
            case IDictionary map:
                // Map keys are scalars of any type; JSON object keys are text.
                var entries = new JsonObject();
                var valueField = (field as MapField)?.Value ?? field;
                foreach (DictionaryEntry entry in map)
                    entries[ScalarText(entry.Key)] = ToNode(entry.Value, valueField);
                return entries;
            case string or byte[]:
                return Scalar(value, field);
            case IEnumerable items:
                // A list column (ListField) or a legacy repeated field (a DataField that is an array).
                var itemField = (field as ListField)?.Item ?? field;
                var array = new JsonArray();
                foreach (var item in items) array.Add(ToNode(item, itemField));
                return array;
            default:
                return Scalar(value, field);
        }
    }

    private static JsonNode? Scalar(object value, Field field) => value switch
    {
        string text => JsonValue.Create(text),
        ReadOnlyMemory<char> text => JsonValue.Create(text.ToString()),
        bool flag => JsonValue.Create(flag),
        byte number => JsonValue.Create(number),
        sbyte number => JsonValue.Create(number),
        short number => JsonValue.Create(number),
        ushort number => JsonValue.Create(number),
        int number => JsonValue.Create(number),
        uint number => JsonValue.Create(number),
        long number => JsonValue.Create(number),
        ulong number => JsonValue.Create(number),
        // JSON has no NaN or infinity: such a value cannot be written back out, so it reads as null.
        float number => float.IsFinite(number) ? JsonValue.Create(number) : null,
        double number => double.IsFinite(number) ? JsonValue.Create(number) : null,
        decimal number => JsonValue.Create(number),
        // A DATE column comes back as a DateTime at midnight: its date alone is what the file holds.
        DateTime date when field is DateTimeDataField { DateTimeFormat: DateTimeFormat.Date } =>
            JsonValue.Create(date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)),
        DateTime time => JsonValue.Create(time.ToString("O", CultureInfo.InvariantCulture)),
        DateTimeOffset time => JsonValue.Create(time.ToString("O", CultureInfo.InvariantCulture)),
        DateOnly date => JsonValue.Create(date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)),
        TimeOnly time => JsonValue.Create(time.ToString("O", CultureInfo.InvariantCulture)),
        TimeSpan span => JsonValue.Create(span.ToString("c", CultureInfo.InvariantCulture)),
        byte[] bytes => JsonValue.Create(Convert.ToBase64String(bytes)),
        ReadOnlyMemory<byte> bytes => JsonValue.Create(Convert.ToBase64String(bytes.Span)),
        // Guid, BigInteger, Parquet's BigDecimal and Interval, and anything newer: their invariant text.
        _ => JsonValue.Create(ScalarText(value)),
    };

    private static string ScalarText(object value) => value switch
    {
        string text => text,
        IFormattable formattable => formattable.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };
}
