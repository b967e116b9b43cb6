using System.Collections;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Distil;

/// <summary>
/// One setting of a task, by its snake_case name: what runtime parameters (<c>--param</c>,
/// <c>step.name=value</c>), <c>distil tasks</c> and a pipeline's signature use instead of
/// reflection. The generator writes the list of a task's own settings (its public settable
/// properties and <c>[TemplateParameter]</c>s); <see cref="LlmTask.Settings"/> adds those every
/// task has.
/// </summary>
public sealed class TaskSetting
{
    private readonly Func<LlmTask, object?> _get;
    private readonly Action<LlmTask, JsonNode?>? _set;

    private TaskSetting(string name, string propertyName, string typeName, string? description, bool affectsResults,
        Func<LlmTask, object?> get, Action<LlmTask, JsonNode?>? set)
    {
        Name = name;
        PropertyName = propertyName;
        TypeName = typeName;
        Description = description;
        AffectsResults = affectsResults;
        _get = get;
        _set = set;
    }

    /// <summary>The setting's name: the property's name in snake_case (<c>NumGenerations</c> → <c>num_generations</c>, <c>HTMLBody</c> → <c>html_body</c>).</summary>
    public string Name { get; }

    /// <summary>The C# property behind it.</summary>
    public string PropertyName { get; }

    /// <summary>Its C# type, as declared (<c>int</c>, <c>string?</c>, <c>IReadOnlyList&lt;string&gt;</c>).</summary>
    public string TypeName { get; }

    /// <summary>From <c>[Description]</c> on the property, if any.</summary>
    public string? Description { get; }

    /// <summary>
    /// Whether a change can change the task's answers, so that a pipeline step recomputes its rows
    /// (false for <c>max_concurrency</c>).
    /// </summary>
    public bool AffectsResults { get; }

    /// <summary>Whether it can be set by name: a public setter (or <c>init</c>) of a type a value can be read into.</summary>
    public bool CanSet => _set is not null;

    /// <summary>The setting's value on <paramref name="task"/>.</summary>
    public object? GetValue(LlmTask task) => _get(task ?? throw new ArgumentNullException(nameof(task)));

    /// <summary>Sets it on <paramref name="task"/> from a JSON value (<c>0.7</c>, <c>"honesty"</c>, <c>["a", "b"]</c>).</summary>
    /// <exception cref="InvalidOperationException">The setting cannot be set by name (see <see cref="CanSet"/>).</exception>
    /// <exception cref="FormatException">The value is not of the setting's type; the message says what was expected.</exception>
    /// <exception cref="ArgumentException">The task refuses the value (its setter's own check).</exception>
    public void SetValue(LlmTask task, JsonNode? value)
    {
        ArgumentNullException.ThrowIfNull(task);
        if (_set is null) throw new InvalidOperationException($"'{Name}' ({TypeName}) cannot be set by name; set {PropertyName} in code.");
        _set(task, value);
    }

    /// <summary>
    /// A setting of <typeparamref name="TTask"/> (for generated code). <paramref name="read"/>
    /// turns a JSON value into the property's type (see <see cref="SettingValues"/>); null with
    /// <paramref name="set"/> null for a setting that can be read but not set by name.
    /// </summary>
    public static TaskSetting Create<TTask, TValue>(
        string name, string propertyName, string typeName, string? description, bool affectsResults,
        Func<TTask, TValue> get, Action<TTask, TValue>? set, Func<JsonNode?, TValue>? read)
        where TTask : LlmTask
    {
        ArgumentNullException.ThrowIfNull(get);
        Action<LlmTask, JsonNode?>? setter = set is null || read is null ? null : (task, value) => set((TTask)task, read(value));
        return new TaskSetting(name, propertyName, typeName, description, affectsResults, task => get((TTask)task), setter);
    }

    /// <summary><paramref name="first"/>, then <paramref name="then"/>; a later setting of the same name replaces an earlier one.</summary>
    public static IReadOnlyList<TaskSetting> Combine(IReadOnlyList<TaskSetting> first, IReadOnlyList<TaskSetting> then)
    {
        var result = first.ToList();
        foreach (var setting in then)
        {
            var at = result.FindIndex(s => s.Name == setting.Name);
            if (at >= 0) result[at] = setting;
            else result.Add(setting);
        }
        return result.AsReadOnly();
    }

    /// <inheritdoc/>
    public override string ToString() => $"{Name} ({TypeName})";
}

/// <summary>
/// Reads JSON values into the types of task settings without reflection, and writes setting values
/// as stable text (for a pipeline's signature). Used by generated code; each reader throws a
/// <see cref="FormatException"/> that says what it expected.
/// </summary>
public static class SettingValues
{
    /// <summary>Text; a number or boolean given where text is expected is kept as written (<c>3</c> → <c>"3"</c>).</summary>
    public static string String(JsonNode? value) => NullableString(value) ?? throw new FormatException("expected text, not null");

    /// <summary>Text or null.</summary>
    public static string? NullableString(JsonNode? value) => value switch
    {
        null => null,
        JsonValue text when text.GetValueKind() == JsonValueKind.String => text.GetValue<string>(),
        JsonValue other => other.ToJsonString(),
        _ => throw new FormatException($"expected text, not {value.ToJsonString()}"),
    };

    /// <summary>true or false (also the text "true"/"false").</summary>
    public static bool Boolean(JsonNode? value) => value switch
    {
        JsonValue v when v.GetValueKind() is JsonValueKind.True or JsonValueKind.False => v.GetValue<bool>(),
        JsonValue v when v.GetValueKind() == JsonValueKind.String && bool.TryParse(v.GetValue<string>(), out var parsed) => parsed,
        _ => throw new FormatException($"expected true or false, not {Show(value)}"),
    };

    /// <summary>A whole number that fits in 32 bits.</summary>
    public static int Int32(JsonNode? value) => checked((int)Int64(value));

    /// <summary>A whole number.</summary>
    public static long Int64(JsonNode? value) =>
        Number(value) is var number && number == Math.Floor(number) && number is >= long.MinValue and <= long.MaxValue
            ? (long)number
            : throw new FormatException($"expected a whole number, not {Show(value)}");

    /// <summary>A number.</summary>
    public static double Double(JsonNode? value) => Number(value);

    /// <summary>A number (single precision).</summary>
    public static float Single(JsonNode? value) => (float)Number(value);

    /// <summary>A number (decimal).</summary>
    public static decimal Decimal(JsonNode? value) => (decimal)Number(value);

    /// <summary>An enum member by name, case-insensitive (<c>"Positive"</c>, <c>"positive"</c>).</summary>
    public static TEnum Enum<TEnum>(JsonNode? value) where TEnum : struct, Enum
    {
        var text = NullableString(value);
        return text is not null && System.Enum.TryParse<TEnum>(text, ignoreCase: true, out var parsed) && System.Enum.IsDefined(parsed)
            ? parsed
            : throw new FormatException($"expected one of {string.Join(", ", System.Enum.GetNames<TEnum>())}, not {Show(value)}");
    }

    /// <summary>A value of <paramref name="read"/>'s type, or null.</summary>
    public static T? Nullable<T>(JsonNode? value, Func<JsonNode?, T> read) where T : struct =>
        value is null ? null : read(value);

    /// <summary>A JSON array, each item read with <paramref name="read"/>.</summary>
    public static List<T> List<T>(JsonNode? value, Func<JsonNode?, T> read) => value is JsonArray array
        ? array.Select(read).ToList()
        : throw new FormatException($"expected a list such as [\"a\", \"b\"], not {Show(value)}");

    /// <summary>A JSON object of names to values, each value read with <paramref name="read"/>.</summary>
    public static Dictionary<string, T> Dictionary<T>(JsonNode? value, Func<JsonNode?, T> read) => value is JsonObject map
        ? map.ToDictionary(p => p.Key, p => read(p.Value), StringComparer.Ordinal)
        : throw new FormatException($"expected an object such as {{\"name\": \"value\"}}, not {Show(value)}");

    /// <summary>
    /// A setting's value as stable text: JSON-like for text, numbers, booleans, lists and
    /// dictionaries, the name for an enum, <c>ToString()</c> for anything else.
    /// </summary>
    public static string Text(object? value) => value switch
    {
        null => "null",
        string text => JsonSerializer.Serialize(text, DistilJson.Default.String),
        bool flag => flag ? "true" : "false",
        Enum member => member.ToString(),
        double d => d.ToString("R", CultureInfo.InvariantCulture),
        float f => f.ToString("R", CultureInfo.InvariantCulture),
        IFormattable formattable => formattable.ToString(null, CultureInfo.InvariantCulture),
        IEnumerable<KeyValuePair<string, string>> map => "{" + string.Join(",", map.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => Text(p.Key) + ":" + Text(p.Value))) + "}",
        IEnumerable items => "[" + string.Join(",", items.Cast<object?>().Select(Text)) + "]",
        _ => value.ToString() ?? "",
    };

    private static double Number(JsonNode? value) => value switch
    {
        JsonValue v when v.GetValueKind() == JsonValueKind.Number => v.GetValue<double>(),
        JsonValue v when v.GetValueKind() == JsonValueKind.String
            && double.TryParse(v.GetValue<string>(), NumberStyles.Float, CultureInfo.InvariantCulture, out var parsed) => parsed,
        _ => throw new FormatException($"expected a number, not {Show(value)}"),
    };

    private static string Show(JsonNode? value) => value?.ToJsonString() ?? "null";
}
