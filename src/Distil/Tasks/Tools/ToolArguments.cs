using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.AI;

namespace Distil;

/// <summary>
/// Reads the arguments of a tool call, as generated tools (<see cref="GeneratedTool"/>) do: each
/// argument is taken as JSON (what a model sends) or as the CLR value a caller passed, and read as
/// the parameter's type without reflection. A missing or mistyped argument throws
/// <see cref="ArgumentException"/> naming it, which the model is told as the call's error.
/// </summary>
public static class ToolArguments
{
    /// <summary>The argument <paramref name="name"/> as JSON; throws when it is absent or null.</summary>
    /// <exception cref="ArgumentException">The call has no such argument.</exception>
    public static JsonElement Required(AIFunctionArguments arguments, string name) =>
        Optional(arguments, name) ?? throw new ArgumentException($"The call has no argument '{name}', which the tool requires.", name);

    /// <summary>The argument <paramref name="name"/> as JSON; null when it is absent or null.</summary>
    public static JsonElement? Optional(AIFunctionArguments arguments, string name)
    {
        ArgumentNullException.ThrowIfNull(arguments);
        if (!arguments.TryGetValue(name, out var value) || value is null) return null;
        var element = value switch
        {
            JsonElement json => json,
            string text => JsonSerializer.SerializeToElement(text, Info<string>()),
            bool flag => JsonSerializer.SerializeToElement(flag, Info<bool>()),
            int or long or short or byte or sbyte or ushort or uint => JsonSerializer.SerializeToElement(Convert.ToInt64(value, CultureInfo.InvariantCulture), Info<long>()),
            ulong big => JsonSerializer.SerializeToElement(big, Info<ulong>()),
            float or double => JsonSerializer.SerializeToElement(Convert.ToDouble(value, CultureInfo.InvariantCulture), Info<double>()),
            decimal money => JsonSerializer.SerializeToElement(money, Info<decimal>()),
            System.Text.Json.Nodes.JsonNode node => JsonSerializer.SerializeToElement(node, Info<System.Text.Json.Nodes.JsonNode>()),
            Enum member => JsonSerializer.SerializeToElement(member.ToString(), Info<string>()),
            _ => JsonSerializer.SerializeToElement(value, AIJsonUtilities.DefaultOptions.GetTypeInfo(value.GetType())),
        };
        return element.ValueKind == JsonValueKind.Null ? null : element;
    }

    private static System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> Info<T>() =>
        (System.Text.Json.Serialization.Metadata.JsonTypeInfo<T>)AIJsonUtilities.DefaultOptions.GetTypeInfo(typeof(T));

    /// <summary>Reads a string.</summary>
    public static string String(JsonElement value, string name) =>
        value.ValueKind == JsonValueKind.String ? value.GetString()! : throw Wrong(name, "a string", value);

    /// <summary>Reads a boolean (<c>true</c>, <c>false</c>, or those words as a string).</summary>
    public static bool Boolean(JsonElement value, string name) => value.ValueKind switch
    {
        JsonValueKind.True => true,
        JsonValueKind.False => false,
        JsonValueKind.String when bool.TryParse(value.GetString(), out var flag) => flag,
        _ => throw Wrong(name, "true or false", value),
    };

    /// <summary>Reads a 32-bit integer.</summary>
    public static int Int32(JsonElement value, string name) => checked((int)Integer(value, name, int.MinValue, int.MaxValue));

    /// <summary>Reads a 64-bit integer.</summary>
    public static long Int64(JsonElement value, string name) => Integer(value, name, long.MinValue, long.MaxValue);

    /// <summary>Reads a 16-bit integer.</summary>
    public static short Int16(JsonElement value, string name) => checked((short)Integer(value, name, short.MinValue, short.MaxValue));

    /// <summary>Reads a byte.</summary>
    public static byte Byte(JsonElement value, string name) => checked((byte)Integer(value, name, byte.MinValue, byte.MaxValue));

    /// <summary>Reads a signed byte.</summary>
    public static sbyte SByte(JsonElement value, string name) => checked((sbyte)Integer(value, name, sbyte.MinValue, sbyte.MaxValue));

    /// <summary>Reads an unsigned 16-bit integer.</summary>
    public static ushort UInt16(JsonElement value, string name) => checked((ushort)Integer(value, name, ushort.MinValue, ushort.MaxValue));

    /// <summary>Reads an unsigned 32-bit integer.</summary>
    public static uint UInt32(JsonElement value, string name) => checked((uint)Integer(value, name, uint.MinValue, uint.MaxValue));

    /// <summary>Reads an unsigned 64-bit integer.</summary>
    public static ulong UInt64(JsonElement value, string name) =>
        value.ValueKind == JsonValueKind.Number && value.TryGetUInt64(out var number) ? number
        : value.ValueKind == JsonValueKind.String && ulong.TryParse(value.GetString(), NumberStyles.Integer, CultureInfo.InvariantCulture, out number) ? number
        : throw Wrong(name, "a non-negative integer", value);

    /// <summary>Reads a single-precision number.</summary>
    public static float Single(JsonElement value, string name) => (float)Double(value, name);

    /// <summary>Reads a double-precision number (a number, or a number written as a string).</summary>
    public static double Double(JsonElement value, string name) =>
        value.ValueKind == JsonValueKind.Number ? value.GetDouble()
        : value.ValueKind == JsonValueKind.String && double.TryParse(value.GetString(), NumberStyles.Float, CultureInfo.InvariantCulture, out var number) ? number
        : throw Wrong(name, "a number", value);

    /// <summary>Reads a decimal number.</summary>
    public static decimal Decimal(JsonElement value, string name) =>
        value.ValueKind == JsonValueKind.Number && value.TryGetDecimal(out var number) ? number
        : value.ValueKind == JsonValueKind.String && decimal.TryParse(value.GetString(), NumberStyles.Float, CultureInfo.InvariantCulture, out number) ? number
        : throw Wrong(name, "a number", value);

    /// <summary>Reads a date and time in ISO 8601.</summary>
    public static DateTime DateTime(JsonElement value, string name) =>
        value.ValueKind == JsonValueKind.String && System.DateTime.TryParse(value.GetString(), CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind, out var time) ? time
        : throw Wrong(name, "a date and time (ISO 8601)", value);

    /// <summary>Reads a date and time with its offset in ISO 8601.</summary>
    public static DateTimeOffset DateTimeOffset(JsonElement value, string name) =>
        value.ValueKind == JsonValueKind.String && System.DateTimeOffset.TryParse(value.GetString(), CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind, out var time) ? time
        : throw Wrong(name, "a date and time (ISO 8601)", value);

    /// <summary>Reads a GUID.</summary>
    public static Guid Guid(JsonElement value, string name) =>
        value.ValueKind == JsonValueKind.String && System.Guid.TryParse(value.GetString(), out var id) ? id
        : throw Wrong(name, "a UUID", value);

    /// <summary>Reads a JSON array, each item with <paramref name="item"/>.</summary>
    public static List<T> List<T>(JsonElement value, string name, Func<JsonElement, string, T> item)
    {
        ArgumentNullException.ThrowIfNull(item);
        if (value.ValueKind != JsonValueKind.Array) throw Wrong(name, "an array", value);
        var items = new List<T>(value.GetArrayLength());
        var index = 0;
        foreach (var element in value.EnumerateArray()) items.Add(item(element, $"{name}[{index++}]"));
        return items;
    }

    /// <summary>The error of an enum argument that names none of its members.</summary>
    public static ArgumentException NotOneOf(string name, string value, string members) =>
        new($"Argument '{name}' is '{value}', which is not one of {members}.", name);

    private static long Integer(JsonElement value, string name, long min, long max)
    {
        var number = value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out var whole) ? whole
            : value.ValueKind == JsonValueKind.Number && value.TryGetDouble(out var real) && real == Math.Floor(real) && real >= long.MinValue && real <= long.MaxValue ? (long)real
            : value.ValueKind == JsonValueKind.String && long.TryParse(value.GetString(), NumberStyles.Integer, CultureInfo.InvariantCulture, out whole) ? whole
            : throw Wrong(name, "an integer", value);
        return number >= min && number <= max ? number : throw new ArgumentException($"Argument '{name}' is {number}, outside {min}..{max}.", name);
    }

    private static ArgumentException Wrong(string name, string expected, JsonElement value)
    {
        var text = value.GetRawText();
        if (text.Length > 80) text = text[..80] + "…";
        return new ArgumentException($"Argument '{name}' must be {expected}, not {text}.", name);
    }
}
