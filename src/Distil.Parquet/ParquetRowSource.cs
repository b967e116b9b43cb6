using System.Collections;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text.Json.Nodes;
using Parquet;
using Parquet.Data;
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
        // Columns of values, lists and structs are rebuilt here from their leaves' levels; maps and
        // legacy repeated fields come from Parquet.Net's untyped serializer.
        var assembled = schema.Fields.Where(Assemblable).ToHashSet();
        var untyped = assembled.Count < schema.Fields.Count;
        await using var levelStream = FileDescription.OpenRead(Path);
        await using var levels = await OpenAsync(levelStream, cancellationToken).ConfigureAwait(false);

        for (var group = 0; group < groups; group++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            IList<Dictionary<string, object>>? records = null;
            Dictionary<Field, JsonNode?[]> columns;
            try
            {
                if (untyped)
                {
                    // Reading one row group per call keeps memory bounded by that row group.
                    var result = await ParquetSerializer.DeserializeUntypedAsync(stream, options: null, rowGroupIndex: group, cancellationToken: cancellationToken)
                        .ConfigureAwait(false);
                    records = result.Data;
                }
                columns = await AssembleAsync(levels, assembled, group, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception error) when (error is not OperationCanceledException)
            {
                throw new InvalidDataException($"{Path} row group {group + 1} of {groups}: cannot read it ({error.Message}).", error);
            }

            var count = columns.Count > 0 ? columns.First().Value.Length : records!.Count;
            for (var i = 0; i < count; i++)
            {
                var row = new JsonObject();
                foreach (var field in schema.Fields)
                {
                    row[field.Name] = columns.TryGetValue(field, out var values)
                        ? values[i]
                        : records![i].TryGetValue(field.Name, out var value) ? ToNode(value, field) : null;
                }
                yield return row;
            }
        }
    }

    // A column made only of values (not legacy repeated ones), lists and structs, which the levels rebuild.
    private static bool Assemblable(Field field) => field switch
    {
        ListField list => Assemblable(list.Item),
        StructField structure => structure.Fields.All(Assemblable),
        DataField data => !data.IsArray && AssembledTypes.Contains(Nullable.GetUnderlyingType(data.ClrType) ?? data.ClrType),
        _ => false,
    };

    // Every assemblable column of one row group, row by row.
    private static async Task<Dictionary<Field, JsonNode?[]>> AssembleAsync(ParquetReader reader, HashSet<Field> fields, int group, CancellationToken cancellationToken)
    {
        var columns = new Dictionary<Field, JsonNode?[]>();
        if (fields.Count == 0) return columns;
        using var groupReader = reader.OpenRowGroupReader(group);
        var rows = checked((int)groupReader.RowCount);
        foreach (var field in fields)
        {
            var values = new JsonNode?[rows];
            foreach (var path in LeafPaths(field))
            {
                var leaf = (DataField)path[^1];
                using var raw = await groupReader.ReadRawColumnDataBaseAsync(leaf, cancellationToken).ConfigureAwait(false);
                var entries = new LeafEntries(path, raw);
                for (var row = 0; row < rows; row++)
                {
                    var end = entries.RowEnd();
                    values[row] = Merge(values[row], entries.Build(0, end));
                }
            }
            columns[field] = values;
        }
        return columns;
    }

    private static IEnumerable<Field[]> LeafPaths(Field field) => field switch
    {
        ListField list => LeafPaths(list.Item).Select(rest => (Field[])[list, .. rest]),
        StructField structure => structure.Fields.SelectMany(LeafPaths).Select(rest => (Field[])[structure, .. rest]),
        _ => [[field]],
    };

    // Leaves of one struct rebuild the same lists and nulls around their own member: put together,
    // they make the whole value.
    private static JsonNode? Merge(JsonNode? built, JsonNode? more)
    {
        switch (built, more)
        {
            case (null, _):
                return more;
            case (JsonObject whole, JsonObject part):
                foreach (var (name, value) in part.ToList())
                {
                    part.Remove(name);
                    whole.TryGetPropertyValue(name, out var existing);
                    whole[name] = null; // detaches the member before it goes back in
                    whole[name] = Merge(existing, value);
                }
                return whole;
            case (JsonArray whole, JsonArray part):
                var items = part.ToList();
                part.Clear();
                for (var i = 0; i < items.Count && i < whole.Count; i++)
                {
                    var existing = whole[i];
                    whole[i] = null; // detaches the item before it goes back in
                    whole[i] = Merge(existing, items[i]);
                }
                return whole;
            default:
                return built;
        }
    }

    /// <summary>One leaf column's entries (a definition and a repetition level each) and present values, read in order.</summary>
    private sealed class LeafEntries
    {
        private readonly Field[] _path;
        private readonly int[] _definitions;
        private readonly int[] _repetitions;
        private readonly IReadOnlyList<object> _values;
        private int _entry;
        private int _value;

        public LeafEntries(Field[] path, RawColumnData raw)
        {
            _path = path;
            var leaf = (DataField)path[^1];
            _values = Values(raw);
            _definitions = leaf.MaxDefinitionLevel > 0 ? raw.DefinitionLevels.ToArray() : Enumerable.Repeat(0, _values.Count).ToArray();
            _repetitions = leaf.MaxRepetitionLevel > 0 ? raw.RepetitionLevels.ToArray() : new int[_definitions.Length];
        }

        /// <summary>The end of the current row's entries: the next entry whose repetition level is 0 starts the next row.</summary>
        public int RowEnd()
        {
            if (_entry >= _definitions.Length) throw new InvalidDataException("a column has fewer entries than the row group has rows");
            var end = _entry + 1;
            while (end < _definitions.Length && _repetitions[end] != 0) end++;
            return end;
        }

        // Rule: Parquet's record assembly. An entry whose definition level stops short of a field
        // means that field is null (one below a list's repeated level: the list is empty); a
        // repetition level at or below a list's own starts its next item.
        public JsonNode? Build(int depth, int end)
        {
            var field = _path[depth];
            var definition = _definitions[_entry];
            switch (field)
            {
                case ListField list:
                    if (definition < list.MaxDefinitionLevel - 1) return Skip(end);
                    if (definition < list.MaxDefinitionLevel)
                    {
                        Skip(end);
                        return new JsonArray();
                    }
                    var items = new JsonArray();
                    while (_entry < end)
                    {
                        var itemEnd = _entry + 1;
                        while (itemEnd < end && _repetitions[itemEnd] > list.MaxRepetitionLevel) itemEnd++;
                        items.Add(Build(depth + 1, itemEnd));
                    }
                    return items;
                case StructField structure:
                    if (definition < structure.MaxDefinitionLevel) return Skip(end);
                    return new JsonObject { [_path[depth + 1].Name] = Build(depth + 1, end) };
                default:
                    if (definition < field.MaxDefinitionLevel) return Skip(end);
                    var value = Scalar(_values[_value++], field);
                    _entry = end;
                    return value;
            }
        }

        private JsonNode? Skip(int end)
        {
            _entry = end;
            return null;
        }
    }

    // The CLR types of the values that the levels rebuild (Values reads them); a column with a
    // value of another type is read by the untyped serializer.
    private static readonly HashSet<Type> AssembledTypes =
    [
        typeof(bool), typeof(byte), typeof(sbyte), typeof(short), typeof(ushort), typeof(int), typeof(uint), typeof(long), typeof(ulong),
        typeof(float), typeof(double), typeof(decimal), typeof(string), typeof(byte[]), typeof(ReadOnlyMemory<char>), typeof(ReadOnlyMemory<byte>),
        typeof(DateTime), typeof(DateOnly), typeof(TimeOnly), typeof(TimeSpan), typeof(Guid),
    ];

    // A leaf's present values, boxed.
    private static IReadOnlyList<object> Values(RawColumnData raw) => raw switch
    {
        RawColumnData<bool> r => Boxed(r.Values),
        RawColumnData<byte> r => Boxed(r.Values),
        RawColumnData<sbyte> r => Boxed(r.Values),
        RawColumnData<short> r => Boxed(r.Values),
        RawColumnData<ushort> r => Boxed(r.Values),
        RawColumnData<int> r => Boxed(r.Values),
        RawColumnData<uint> r => Boxed(r.Values),
        RawColumnData<long> r => Boxed(r.Values),
        RawColumnData<ulong> r => Boxed(r.Values),
        RawColumnData<float> r => Boxed(r.Values),
        RawColumnData<double> r => Boxed(r.Values),
        RawColumnData<decimal> r => Boxed(r.Values),
        RawColumnData<ReadOnlyMemory<char>> r => Boxed(r.Values),
        RawColumnData<ReadOnlyMemory<byte>> r => Boxed(r.Values),
        RawColumnData<DateTime> r => Boxed(r.Values),
        RawColumnData<DateOnly> r => Boxed(r.Values),
        RawColumnData<TimeOnly> r => Boxed(r.Values),
        RawColumnData<TimeSpan> r => Boxed(r.Values),
        RawColumnData<Guid> r => Boxed(r.Values),
        _ => throw new InvalidDataException($"values held as {raw.GetType()} cannot be read"),
    };

    private static List<object> Boxed<T>(ReadOnlySpan<T> values) where T : struct
    {
        var boxed = new List<object>(values.Length);
        foreach (var value in values) boxed.Add(value);
        return boxed;
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
