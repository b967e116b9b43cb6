using System.ComponentModel;
using System.Text.Json.Nodes;

namespace Distil.Mapping;

/// <summary>Writes typed values into row columns. Called by generated code.</summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class JsonWrite
{
    /// <summary>Writes a string, or null.</summary>
    public static JsonNode? String(string? value) => value is null ? null : JsonValue.Create(value);

    /// <summary>Writes a copy of a JSON value.</summary>
    public static JsonNode? Json(JsonNode? value) => value?.DeepClone();

    /// <summary>Writes a boolean, or null.</summary>
    public static JsonNode? Boolean(bool? value) => value is null ? null : JsonValue.Create(value.Value);

    /// <summary>Writes a 32-bit integer, or null.</summary>
    public static JsonNode? Int32(int? value) => value is null ? null : JsonValue.Create(value.Value);

    /// <summary>Writes an integer, or null.</summary>
    public static JsonNode? Int64(long? value) => value is null ? null : JsonValue.Create(value.Value);

    /// <summary>Writes a number, or null.</summary>
    public static JsonNode? Double(double? value) => value is null ? null : JsonValue.Create(value.Value);

    /// <summary>Writes a single-precision number, or null (as written: 0.1f stays 0.1).</summary>
    public static JsonNode? Single(float? value) => value is null ? null : JsonValue.Create(value.Value);

    /// <summary>Writes a decimal number, or null.</summary>
    public static JsonNode? Decimal(decimal? value) => value is null ? null : JsonValue.Create(value.Value);

    /// <summary>Writes an enum member as its name, or null.</summary>
    public static JsonNode? Enum<TEnum>(TEnum? value) where TEnum : struct, Enum =>
        value is null ? null : JsonValue.Create(value.Value.ToString());

    /// <summary>Writes a list, or null.</summary>
    public static JsonNode? List<T>(IEnumerable<T>? items, Func<T, JsonNode?> write)
    {
        if (items is null) return null;
        var array = new JsonArray();
        foreach (var item in items) array.Add(write(item));
        return array;
    }
}
