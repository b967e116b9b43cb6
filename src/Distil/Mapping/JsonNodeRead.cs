using System.ComponentModel;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Distil.Mapping;

/// <summary>
/// Reads typed values from rows (<see cref="JsonNode"/>), leniently: a number given as a string is
/// a number, a scalar asked for as a string is its text. Called by generated code.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class JsonNodeRead
{
    /// <summary>Reads a required column of a row.</summary>
    public static T Column<T>(JsonObject row, string column, Func<JsonNode?, T> read)
    {
        if (!row.TryGetPropertyValue(column, out var node))
        {
            throw new RowValueException($"column '{column}' is missing");
        }
        return Read(column, node, read);
    }

    /// <summary>Reads an optional column of a row (a parameter with a default value): a missing column reads as null.</summary>
    public static T OptionalColumn<T>(JsonObject row, string column, Func<JsonNode?, T> read)
    {
        row.TryGetPropertyValue(column, out var node);
        return Read(column, node, read);
    }

    private static T Read<T>(string column, JsonNode? node, Func<JsonNode?, T> read)
    {
        try
        {
            return read(node);
        }
        catch (RowValueException error)
        {
            throw error.Within($"column '{column}'");
        }
        catch (OverflowException)
        {
            throw new RowValueException($"at column '{column}': the number is out of range for its type");
        }
        catch (Exception error) when (error is InvalidOperationException or FormatException or JsonException)
        {
            throw new RowValueException($"at column '{column}': {error.Message}", error);
        }
    }

    /// <summary>Reads a property of a nested object; a missing property reads as null.</summary>
    public static T Property<T>(JsonNode? node, string name, Func<JsonNode?, T> read)
    {
        var obj = node as JsonObject ?? throw RowValueException.Expected("an object", Describe(node));
        obj.TryGetPropertyValue(name, out var value);
        try
        {
            return read(value);
        }
        catch (RowValueException error)
        {
            throw error.Within($".{name}");
        }
        catch (OverflowException)
        {
            throw new RowValueException($"at .{name}: the number is out of range for its type");
        }
    }

    /// <summary>True when the node is null or JSON null.</summary>
    public static bool IsNull(JsonNode? node) => node is null;

    /// <summary>Reads a list, element by element.</summary>
    public static List<T> List<T>(JsonNode? node, Func<JsonNode?, T> read)
    {
        var array = node as JsonArray ?? throw RowValueException.Expected("a list", Describe(node));
        var list = new List<T>(array.Count);
        for (var i = 0; i < array.Count; i++)
        {
            try
            {
                list.Add(read(array[i]));
            }
            catch (RowValueException error)
            {
                throw error.Within($"[{i}]");
            }
        }
        return list;
    }

    /// <summary>Reads a string; numbers and booleans read as their JSON text.</summary>
    public static string? String(JsonNode? node) => node switch
    {
        null => null,
        JsonValue value when value.TryGetValue<string>(out var text) => text,
        // Other values that are strings in JSON (a Guid, a DateTime, a char put in a row in memory)
        // and numbers or booleans: their JSON text, unquoted.
        JsonValue value when value.GetValueKind() == JsonValueKind.String => JsonSerializer.Deserialize(value.ToJsonString(), DistilJson.Default.String),
        JsonValue value => value.ToJsonString(),
        _ => throw RowValueException.Expected("a string", Describe(node)),
    };

    /// <summary>Reads a boolean; the strings "true" and "false" are accepted.</summary>
    public static bool? Boolean(JsonNode? node)
    {
        if (node is null) return null;
        if (node is JsonValue value)
        {
            switch (value.GetValueKind())
            {
                case JsonValueKind.True: return true;
                case JsonValueKind.False: return false;
                case JsonValueKind.String when bool.TryParse(String(value)!.Trim(), out var parsed): return parsed;
            }
        }
        throw RowValueException.Expected("true or false", Describe(node));
    }

    /// <summary>Reads an integer; a whole number written as a string or with ".0" is accepted.</summary>
    public static long? Int64(JsonNode? node)
    {
        // Exact first: a long id must not lose digits on its way through double.
        if (node is JsonValue exact && exact.GetValueKind() is JsonValueKind.Number or JsonValueKind.String
            && long.TryParse(String(exact)!.Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var whole))
        {
            return whole;
        }
        var number = Number(node, "an integer");
        if (number is null) return null;
        var d = number.Value;
        return d == Math.Floor(d) && d >= -9223372036854775808.0 && d < 9223372036854775808.0
            ? (long)d
            : throw RowValueException.Expected("an integer", Describe(node));
    }

    /// <summary>Reads a 32-bit integer.</summary>
    public static int? Int32(JsonNode? node)
    {
        var value = Int64(node);
        return value is null ? null
            : value >= int.MinValue && value <= int.MaxValue ? (int)value.Value
            : throw RowValueException.Expected("a 32-bit integer", Describe(node));
    }

    /// <summary>Reads a number; a number written as a string is accepted.</summary>
    public static double? Double(JsonNode? node) => Number(node, "a number");

    /// <summary>Reads a single-precision number; one beyond float's range is refused.</summary>
    public static float? Single(JsonNode? node)
    {
        var number = Double(node);
        if (number is null) return null;
        var single = (float)number.Value;
        return float.IsFinite(single) ? single : throw RowValueException.Expected("a number within float's range", Describe(node));
    }

    private static readonly JsonSerializerOptions ReadableJson = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>
    /// A value as text: a string as it is, any other value as its compact JSON (non-ASCII and
    /// markup characters left readable), null as null. For steps that treat a column as text.
    /// </summary>
    public static string? Text(JsonNode? node) => node switch
    {
        null => null,
        JsonValue value when value.GetValueKind() == JsonValueKind.String => value.GetValue<string>(),
        _ => node.ToJsonString(ReadableJson),
    };

    /// <summary>Reads a decimal number exactly.</summary>
    public static decimal? Decimal(JsonNode? node)
    {
        if (node is null) return null;
        var text = node is JsonValue v && v.GetValueKind() == JsonValueKind.String ? String(v)! : node.ToJsonString();
        return decimal.TryParse(text.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out var d)
            ? d
            : throw RowValueException.Expected("a number", Describe(node));
    }

    /// <summary>Reads an enum member by name, ignoring case.</summary>
    public static TEnum? Enum<TEnum>(JsonNode? node) where TEnum : struct, Enum
    {
        var text = String(node);
        if (text is null) return null;
        return EnumNames<TEnum>.TryParse(text, out var value)
            ? value
            : throw RowValueException.Expected($"one of {EnumNames<TEnum>.List}", Describe(node));
    }

    /// <summary>Reads any JSON value as a copy, so that the row and the input record do not share nodes.</summary>
    public static JsonNode? Json(JsonNode? node) => node?.DeepClone();

    /// <summary>Reads a JSON object as a copy.</summary>
    public static JsonObject? JsonObject(JsonNode? node) => node switch
    {
        null => null,
        System.Text.Json.Nodes.JsonObject value => (JsonObject)value.DeepClone(),
        _ => throw RowValueException.Expected("a JSON object", Describe(node)),
    };

    /// <summary>Fails because a required value is null.</summary>
    public static T Required<T>(T? value, JsonNode? node) where T : struct =>
        value ?? throw RowValueException.Expected(typeof(T).Name, Describe(node));

    /// <summary>Fails because a required reference is null.</summary>
    public static T Required<T>(T? value, JsonNode? node, string expected) where T : class =>
        value ?? throw RowValueException.Expected(expected, Describe(node));

    private static double? Number(JsonNode? node, string expected)
    {
        if (node is null) return null;
        if (node is JsonValue value
            && value.GetValueKind() is JsonValueKind.Number or JsonValueKind.String
            && double.TryParse(String(value)!.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out var parsed)
            && double.IsFinite(parsed))
        {
            return parsed;
        }
        // NaN, infinities and numbers beyond double are refused: no JSON writer can write them back.
        throw RowValueException.Expected(expected, Describe(node));
    }

    internal static string Describe(JsonNode? node) => node switch
    {
        null => "null",
        System.Text.Json.Nodes.JsonObject => "an object",
        JsonArray => "a list",
        JsonValue value when value.GetValueKind() == JsonValueKind.String => $"the string {Shorten(value.ToJsonString())}",
        _ => Shorten(node.ToJsonString()),
    };

    internal static string Shorten(string text) => text.Length <= 40 ? text : text.Substring(0, 37) + "...";
}
