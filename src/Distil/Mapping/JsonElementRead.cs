using System.ComponentModel;
using System.Globalization;
using System.Text.Json;

namespace Distil.Mapping;

/// <summary>
/// Reads typed values from a parsed answer (<see cref="JsonElement"/>), with the same leniency as
/// <see cref="JsonNodeRead"/>. A missing property is an undefined element and reads as null.
/// Called by generated code.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class JsonElementRead
{
    /// <summary>Reads a property of an object; a missing property reads as null.</summary>
    public static T Property<T>(JsonElement element, string name, Func<JsonElement, T> read)
    {
        if (element.ValueKind != JsonValueKind.Object) throw RowValueException.Expected("an object", Describe(element));
        element.TryGetProperty(name, out var value);
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

    /// <summary>Reads a list, element by element.</summary>
    public static List<T> List<T>(JsonElement element, Func<JsonElement, T> read)
    {
        if (element.ValueKind != JsonValueKind.Array) throw RowValueException.Expected("a list", Describe(element));
        var list = new List<T>(element.GetArrayLength());
        var i = 0;
        foreach (var item in element.EnumerateArray())
        {
            try
            {
                list.Add(read(item));
            }
            catch (RowValueException error)
            {
                throw error.Within($"[{i}]");
            }
            i++;
        }
        return list;
    }

    /// <summary>True when the element is missing or JSON null.</summary>
    public static bool IsNull(JsonElement element) =>
        element.ValueKind is JsonValueKind.Undefined or JsonValueKind.Null;

    /// <summary>Reads a string; numbers and booleans read as their JSON text.</summary>
    public static string? String(JsonElement element) => element.ValueKind switch
    {
        JsonValueKind.Undefined or JsonValueKind.Null => null,
        JsonValueKind.String => element.GetString(),
        JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False => element.GetRawText(),
        _ => throw RowValueException.Expected("a string", Describe(element)),
    };

    /// <summary>Reads a boolean; the strings "true" and "false" are accepted.</summary>
    public static bool? Boolean(JsonElement element) => element.ValueKind switch
    {
        JsonValueKind.Undefined or JsonValueKind.Null => null,
        JsonValueKind.True => true,
        JsonValueKind.False => false,
        JsonValueKind.String when bool.TryParse(element.GetString()!.Trim(), out var parsed) => parsed,
        _ => throw RowValueException.Expected("true or false", Describe(element)),
    };

    /// <summary>Reads an integer; a whole number written as a string or with ".0" is accepted.</summary>
    public static long? Int64(JsonElement element)
    {
        if (element.ValueKind == JsonValueKind.Number && element.TryGetInt64(out var exact)) return exact;
        if (element.ValueKind == JsonValueKind.String
            && long.TryParse(element.GetString()!.Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var whole))
        {
            return whole;
        }
        var number = Number(element, "an integer");
        if (number is null) return null;
        var d = number.Value;
        return d == Math.Floor(d) && d >= -9223372036854775808.0 && d < 9223372036854775808.0
            ? (long)d
            : throw RowValueException.Expected("an integer", Describe(element));
    }

    /// <summary>Reads a 32-bit integer.</summary>
    public static int? Int32(JsonElement element)
    {
        var value = Int64(element);
        return value is null ? null
            : value >= int.MinValue && value <= int.MaxValue ? (int)value.Value
            : throw RowValueException.Expected("a 32-bit integer", Describe(element));
    }

    /// <summary>Reads a number; a number written as a string is accepted.</summary>
    public static double? Double(JsonElement element) => Number(element, "a number");

    /// <summary>Reads a single-precision number; one beyond float's range is refused.</summary>
    public static float? Single(JsonElement element)
    {
        var number = Double(element);
        if (number is null) return null;
        var single = (float)number.Value;
        return float.IsFinite(single) ? single : throw RowValueException.Expected("a number within float's range", Describe(element));
    }

    /// <summary>Reads a decimal number exactly.</summary>
    public static decimal? Decimal(JsonElement element)
    {
        if (IsNull(element)) return null;
        if (element.ValueKind == JsonValueKind.Number && element.TryGetDecimal(out var exact)) return exact;
        return element.ValueKind == JsonValueKind.String
               && decimal.TryParse(element.GetString()!.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out var parsed)
            ? parsed
            : throw RowValueException.Expected("a number", Describe(element));
    }

    /// <summary>Reads an enum member by name, ignoring case.</summary>
    public static TEnum? Enum<TEnum>(JsonElement element) where TEnum : struct, Enum
    {
        var text = String(element);
        if (text is null) return null;
        return EnumNames<TEnum>.TryParse(text, out var value)
            ? value
            : throw RowValueException.Expected($"one of {EnumNames<TEnum>.List}", Describe(element));
    }

    /// <summary>Reads any JSON value as a node; JSON null reads as null.</summary>
    public static System.Text.Json.Nodes.JsonNode? Json(JsonElement element) =>
        element.ValueKind is JsonValueKind.Null or JsonValueKind.Undefined ? null : System.Text.Json.Nodes.JsonNode.Parse(element.GetRawText());

    /// <summary>Reads a JSON object as a node.</summary>
    public static System.Text.Json.Nodes.JsonObject? JsonObject(JsonElement element) => element.ValueKind switch
    {
        JsonValueKind.Null or JsonValueKind.Undefined => null,
        JsonValueKind.Object => System.Text.Json.Nodes.JsonNode.Parse(element.GetRawText())!.AsObject(),
        _ => throw RowValueException.Expected("a JSON object", Describe(element)),
    };

    /// <summary>Fails because a required value is null.</summary>
    public static T Required<T>(T? value, JsonElement element) where T : struct =>
        value ?? throw RowValueException.Expected(typeof(T).Name, Describe(element));

    /// <summary>Fails because a required reference is null.</summary>
    public static T Required<T>(T? value, JsonElement element, string expected) where T : class =>
        value ?? throw RowValueException.Expected(expected, Describe(element));

    // NaN, infinities and numbers beyond double are refused: no JSON writer can write them back.
    private static double? Number(JsonElement element, string expected) => element.ValueKind switch
    {
        JsonValueKind.Undefined or JsonValueKind.Null => null,
        JsonValueKind.Number when element.TryGetDouble(out var number) && double.IsFinite(number) => number,
        JsonValueKind.String when double.TryParse(element.GetString()!.Trim(), NumberStyles.Float,
            CultureInfo.InvariantCulture, out var parsed) && double.IsFinite(parsed) => parsed,
        JsonValueKind.String when AnswerRepairs.Number(element.GetString()!) is { } mended => mended,
        _ => throw RowValueException.Expected(expected, Describe(element)),
    };

    private static string Describe(JsonElement element) => element.ValueKind switch
    {
        JsonValueKind.Undefined => "nothing (the property is missing)",
        JsonValueKind.Null => "null",
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "a list",
        JsonValueKind.String => $"the string {JsonNodeRead.Shorten(element.GetRawText())}",
        _ => JsonNodeRead.Shorten(element.GetRawText()),
    };
}
