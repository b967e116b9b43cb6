using System.Collections;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Distil.Pipelines;

/// <summary>
/// How the text of each CSV cell becomes a value of the record's type when rows are loaded as a
/// record (<c>Pipeline.Load&lt;TRow&gt;(RowSources.Csv(path))</c>): numbers, booleans, enums,
/// lists, nullable values. A cell that does not fit throws <see cref="FormatException"/> saying
/// why; the CSV source adds the row and the column.
/// </summary>
/// <remarks>
/// Rules, per type of the property:
/// <list type="bullet">
/// <item>integers (<c>int</c>, <c>long</c>, …): whole numbers in the type's range, invariant culture (<c>-12</c>, not <c>1,200</c> or <c>3.0</c>);</item>
/// <item><c>double</c>, <c>float</c>, <c>decimal</c>: invariant culture, a dot for decimals, an exponent allowed; not NaN or infinity;</item>
/// <item><c>bool</c>: <c>true</c>/<c>false</c> in any case, or <c>1</c>/<c>0</c>;</item>
/// <item>an enum: one of its member names, in any case (written as declared); <c>Guid</c>, dates: as they parse, kept as written;</item>
/// <item>a list: a JSON array (<c>["a","b"]</c>, <c>[1,2]</c>), or with <see cref="CsvListAttribute"/> the text split on its separator;</item>
/// <item><c>JsonNode</c>: the JSON the cell holds, or its text when it is not JSON;</item>
/// <item>an empty cell: null for a nullable type; the property's default when its constructor parameter has one (the column is left out);
/// empty text for <c>string</c>, an empty list for a list; otherwise an error.</item>
/// </list>
/// </remarks>
internal static class CsvCells
{
    /// <summary>What one cell gives: a value, or nothing (the column is left out of the row, so its default applies).</summary>
    public readonly record struct Cell(bool Present, JsonNode? Value);

    /// <summary>Reads the cells of one column.</summary>
    public sealed class ColumnReader(string name, Func<string, Cell> read)
    {
        /// <summary>The column's name, as the header names it.</summary>
        public string Name { get; } = name;

        /// <summary>The cell's value.</summary>
        /// <exception cref="FormatException">The text does not fit the column's type; the message says why.</exception>
        public Cell Read(string text) => read(text);
    }

    /// <summary>The reader of every column of the record.</summary>
    public static IReadOnlyList<ColumnReader> Of(RowMapper columns)
    {
        var readers = new List<ColumnReader>();
        foreach (var member in columns.Members)
        {
            var (column, optional, type) = (member.Column, member.Optional, member.ValueType);
            var where = $"{columns.TypeName}.{member.Property}";
            var separator = member.CsvListSeparator;
            if (separator is not null && ElementOf(Nullable.GetUnderlyingType(type) ?? type) is null)
                throw new ArgumentException($"{where} has [CsvList(\"{separator}\")] but is not a list; put it on a list property.");
            var nullable = column.Nullable;
            var read = Reader(type, where, separator, member.ItemNullable);
            var typeName = TypeName(type);
            readers.Add(new ColumnReader(column.Name, text =>
            {
                var empty = IsText(type) ? text.Length == 0 : IsBlank(text);
                if (!empty || IsText(type) && !nullable) return new Cell(true, read(text));
                if (nullable) return new Cell(true, null);
                if (optional) return new Cell(false, null);
                if (ElementOf(type) is not null) return new Cell(true, new JsonArray());
                throw new FormatException($"the cell is empty, and {where} ({typeName}) needs a value; make it nullable ({typeName}?) or give it a default");
            }));
        }
        return readers;
    }

    // Reads a non-blank cell (or any cell of a text column) as a value of `type`.
    private static Func<string, JsonNode?> Reader(Type type, string where, string? separator, bool itemNullable)
    {
        type = Nullable.GetUnderlyingType(type) ?? type;
        if (ElementOf(type) is { } element)
        {
            itemNullable |= Nullable.GetUnderlyingType(element) is not null;
            var itemText = Reader(element, where, null, false);
            var itemJson = JsonItem(element, itemText);
            return separator is null
                ? text => JsonList(text, where, itemJson, itemNullable)
                : text => SeparatedList(text, separator, element, itemText, itemNullable);
        }
        return Scalar(type, where);
    }

    private static Func<string, JsonNode?> Scalar(Type type, string where)
    {
        if (type == typeof(string)) return text => JsonValue.Create(text);
        if (type == typeof(bool)) return text => text.Trim().ToLowerInvariant() switch
        {
            "true" or "1" => JsonValue.Create(true),
            "false" or "0" => JsonValue.Create(false),
            _ => throw new FormatException($"{Quote(text)} is not a boolean (true, false, 1 or 0)"),
        };
        if (type == typeof(double) || type == typeof(float)) return text =>
            double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var number) && double.IsFinite(number)
            && (type == typeof(double) || float.IsFinite((float)number))
                ? JsonValue.Create(number)
                : throw new FormatException($"{Quote(text)} is not a number (digits with an optional dot, such as 3.5)");
        if (type == typeof(decimal)) return text =>
            decimal.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var number)
                ? JsonValue.Create(number)
                : throw new FormatException($"{Quote(text)} is not a decimal number (digits with an optional dot, such as 3.50)");
        if (type == typeof(ulong)) return text =>
            ulong.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var number)
                ? JsonValue.Create(number)
                : throw new FormatException(WholeNumberError(text, "ulong"));
        if (IntegerRange(type) is var (least, most, name) && name is not null) return text =>
            long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var number) && number >= least && number <= most
                ? JsonValue.Create(number)
                : throw new FormatException(WholeNumberError(text, name));
        if (type.IsEnum)
        {
            var names = Enum.GetNames(type);
            return text => names.FirstOrDefault(n => string.Equals(n, text.Trim(), StringComparison.OrdinalIgnoreCase)) is { } member
                ? JsonValue.Create(member)
                : throw new FormatException($"{Quote(text)} is not one of {string.Join(", ", names)}");
        }
        if (type == typeof(Guid)) return text => Guid.TryParse(text, out _) ? JsonValue.Create(text.Trim()) : throw new FormatException($"{Quote(text)} is not a GUID");
        if (type == typeof(DateTime) || type == typeof(DateTimeOffset)) return text =>
            DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind, out _)
                ? JsonValue.Create(text.Trim())
                : throw new FormatException($"{Quote(text)} is not a date and time (ISO 8601, such as 2026-12-06T09:30:00Z)");
        if (type == typeof(char)) return text => text.Length == 1 ? JsonValue.Create(text) : throw new FormatException($"{Quote(text)} is not one character");
        if (typeof(JsonNode).IsAssignableFrom(type)) return text =>
        {
            try
            {
                return JsonNode.Parse(text);
            }
            catch (JsonException)
            {
                return JsonValue.Create(text);
            }
        };
        throw new ArgumentException($"{where} has type {type.Name}, which a CSV cell cannot be read as.");
    }

    private static (long Least, long Most, string? Name) IntegerRange(Type type)
    {
        if (type == typeof(int)) return (int.MinValue, int.MaxValue, "int");
        if (type == typeof(long)) return (long.MinValue, long.MaxValue, "long");
        if (type == typeof(short)) return (short.MinValue, short.MaxValue, "short");
        if (type == typeof(byte)) return (byte.MinValue, byte.MaxValue, "byte");
        if (type == typeof(sbyte)) return (sbyte.MinValue, sbyte.MaxValue, "sbyte");
        if (type == typeof(ushort)) return (ushort.MinValue, ushort.MaxValue, "ushort");
        if (type == typeof(uint)) return (uint.MinValue, uint.MaxValue, "uint");
        return (0, 0, null);
    }

    private static string WholeNumberError(string text, string type) =>
        decimal.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var number) && number == decimal.Truncate(number)
            ? $"{Quote(text)} does not fit {type}"
            : $"{Quote(text)} is not a whole number ({type})";

    // A cell holding a JSON array, each item read as the element type.
    private static JsonArray JsonList(string text, string where, Func<JsonNode?, int, JsonNode?> item, bool itemNullable)
    {
        JsonNode? parsed;
        try
        {
            parsed = JsonNode.Parse(text);
        }
        catch (JsonException)
        {
            parsed = null;
        }
        if (parsed is not JsonArray array)
        {
            throw new FormatException($"{Quote(text)} is not a JSON array such as [\"a\",\"b\"] or [1,2]; to split text on a separator, declare it on the property: [CsvList(\"|\")] on {where}");
        }
        var list = new JsonArray();
        for (var i = 0; i < array.Count; i++)
        {
            if (array[i] is null)
            {
                if (!itemNullable) throw new FormatException($"item {i + 1} of {Quote(text)} is null, and the list's items cannot be");
                list.Add(null);
                continue;
            }
            try
            {
                list.Add(item(array[i], i + 1));
            }
            catch (FormatException error)
            {
                // Said as a separated list's item is: its place, the cell, what is wrong.
                throw new FormatException($"item {i + 1} of {Quote(text)}: {error.Message}", error);
            }
        }
        return list;
    }

    // A cell of items between separators, each trimmed and read as the element type.
    private static JsonArray SeparatedList(string text, string separator, Type element, Func<string, JsonNode?> item, bool itemNullable)
    {
        var list = new JsonArray();
        var items = text.Split(separator, StringSplitOptions.TrimEntries);
        for (var i = 0; i < items.Length; i++)
        {
            if (items[i].Length == 0 && !IsText(element))
            {
                if (!itemNullable) throw new FormatException($"item {i + 1} of {Quote(text)} is empty, and the list's items cannot be");
                list.Add(null);
                continue;
            }
            try
            {
                list.Add(item(items[i]));
            }
            catch (FormatException error)
            {
                throw new FormatException($"item {i + 1} of {Quote(text)}: {error.Message}", error);
            }
        }
        return list;
    }

    // An item of a JSON array: text for text types, a number for numbers, true or false for booleans.
    private static Func<JsonNode?, int, JsonNode?> JsonItem(Type element, Func<string, JsonNode?> fromText)
    {
        var type = Nullable.GetUnderlyingType(element) ?? element;
        if (typeof(JsonNode).IsAssignableFrom(type)) return (node, _) => node!.DeepClone();
        var expected = ElementOf(type) is not null ? JsonValueKind.Array
            : type == typeof(bool) ? JsonValueKind.True
            : IsText(type) || type.IsEnum || type == typeof(Guid) || type == typeof(DateTime) || type == typeof(DateTimeOffset) || type == typeof(char) ? JsonValueKind.String
            : JsonValueKind.Number;
        return (node, _) =>
        {
            var kind = node!.GetValueKind();
            var fits = kind == expected || expected == JsonValueKind.True && kind == JsonValueKind.False;
            if (!fits)
            {
                var wanted = expected switch { JsonValueKind.String => "text", JsonValueKind.True => "true or false", JsonValueKind.Array => "a list", _ => "a number" };
                throw new FormatException($"{node.ToJsonString()} is not {wanted}");
            }
            return fromText(kind == JsonValueKind.String ? node.GetValue<string>() : node.ToJsonString());
        };
    }

    private static bool IsText(Type type) => (Nullable.GetUnderlyingType(type) ?? type) == typeof(string);

    private static bool IsBlank(string text) => string.IsNullOrWhiteSpace(text);

    private static Type? ElementOf(Type type)
    {
        if (type == typeof(string)) return null;
        if (type.IsArray) return type.GetElementType();
        if (type.IsGenericType && type.GetGenericArguments() is [var argument] && typeof(IEnumerable).IsAssignableFrom(type)) return argument;
        return null;
    }

    private static string TypeName(Type type)
    {
        type = Nullable.GetUnderlyingType(type) ?? type;
        if (ElementOf(type) is { } element) return $"list of {TypeName(element)}";
        return Type.GetTypeCode(type) switch
        {
            TypeCode.Int32 when !type.IsEnum => "int",
            TypeCode.Int64 when !type.IsEnum => "long",
            TypeCode.Int16 when !type.IsEnum => "short",
            TypeCode.Double => "double",
            TypeCode.Single => "float",
            TypeCode.Decimal => "decimal",
            TypeCode.Boolean => "bool",
            TypeCode.String => "string",
            _ => type.Name,
        };
    }

    private static string Quote(string text) => "'" + (text.Length > 60 ? text[..57] + "..." : text) + "'";
}
