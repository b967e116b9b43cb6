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
        JsonValue value when value.GetValueKind() == JsonValueKind.String => value.GetValue<string>(),
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
                case JsonValueKind.String when bool.TryParse(value.GetValue<string>().Trim(), out var parsed): return parsed;
            }
        }
        throw RowValueException.Expected("true or false", Describe(node));
    }

    /// <summary>Reads an integer; a whole number written as a string or with ".0" is accepted.</summary>
    public static long? Int64(JsonNode? node)
    {
        var number = Number(node, "an integer");
        if (number is null) return null;
        var d = number.Value;
        return d == Math.Floor(d) && d >= long.MinValue && d <= long.MaxValue
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

    /// <summary>Reads a decimal number exactly.</summary>
    public static decimal? Decimal(JsonNode? node)
    {
        if (node is null) return null;
        var text = node is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : node.ToJsonString();
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

    /// <summary>Fails because a required value is null.</summary>
    public static T Required<T>(T? value, JsonNode? node) where T : struct =>
        value ?? throw RowValueException.Expected(typeof(T).Name, Describe(node));

    /// <summary>Fails because a required reference is null.</summary>
    public static T Required<T>(T? value, JsonNode? node, string expected) where T : class =>
        value ?? throw RowValueException.Expected(expected, Describe(node));

    private static double? Number(JsonNode? node, string expected)
    {
        if (node is null) return null;
        if (node is JsonValue value)
        {
            switch (value.GetValueKind())
            {
                case JsonValueKind.Number:
                    return value.TryGetValue<JsonElement>(out var element) ? element.GetDouble()
                        : double.Parse(value.ToJsonString(), CultureInfo.InvariantCulture);
                case JsonValueKind.String when double.TryParse(value.GetValue<string>().Trim(), NumberStyles.Float,
                    CultureInfo.InvariantCulture, out var parsed):
                    return parsed;
            }
        }
        throw RowValueException.Expected(expected, Describe(node));
    }

    internal static string Describe(JsonNode? node) => node switch
    {
        null => "null",
        JsonObject => "an object",
        JsonArray => "a list",
        JsonValue value when value.GetValueKind() == JsonValueKind.String => $"the string {Shorten(value.ToJsonString())}",
        _ => Shorten(node.ToJsonString()),
    };

    internal static string Shorten(string text) => text.Length <= 40 ? text : text.Substring(0, 37) + "...";
}
