using System.Text.Json;
using System.Text.Json.Nodes;

namespace Distil.Pipelines;

/// <summary>
/// A test of a row: which rows a conditional task step asks the LLM for
/// (<see cref="StepHandle.Then(LlmTask, RowCondition, ColumnMappings?)"/>), and which rows a branch takes
/// (<see cref="RouteStepHandleExtensions.Branch(StepHandle, RowCondition, string?)"/>). It is part
/// of the step's signature: a changed condition makes the step run again.
/// <code>
/// var english = RowCondition.Equal("language", "en");
/// var long = RowCondition.Where(row => ((string?)row["text"])?.Length > 200, reads: ["text"], description: "text is longer than 200 characters");
/// </code>
/// </summary>
public sealed class RowCondition
{
    /// <summary>The operators of a condition in a pipeline file, beside its <c>column</c>.</summary>
    public static IReadOnlyList<string> FileOperators { get; } = ["equals", "not_equals", "in", "not_in", "is_null"];

    private readonly Func<JsonObject, bool> _test;

    private RowCondition(Func<JsonObject, bool> test, IReadOnlyList<string> reads, string description, string signature)
    {
        _test = test;
        Reads = reads;
        Description = description;
        Signature = signature;
    }

    /// <summary>What the condition asks, in words (said in the metadata of a row it skips).</summary>
    public string Description { get; }

    /// <summary>The columns the condition reads: every input row must have them (checked before a run).</summary>
    public IReadOnlyList<string> Reads { get; }

    // What identifies the condition in its step's signature: the code of a function, or the file form.
    internal string Signature { get; }

    /// <summary>Whether <paramref name="row"/> passes.</summary>
    public bool Passes(JsonObject row)
    {
        ArgumentNullException.ThrowIfNull(row);
        return _test(row);
    }

    /// <summary>
    /// A condition of your own: <paramref name="test"/> must be deterministic (a resumed run tests
    /// rows again) and read only <paramref name="reads"/>. Its signature is the function's code, not
    /// the values it captures (as for <see cref="StepHandle.Filter"/>).
    /// </summary>
    /// <param name="test">True for the rows that pass.</param>
    /// <param name="reads">The columns it reads, checked before a run.</param>
    /// <param name="description">What it asks, in words, for the metadata of the rows it skips (default: the function's name).</param>
    public static RowCondition Where(Func<JsonObject, bool> test, IReadOnlyList<string>? reads = null, string? description = null)
    {
        ArgumentNullException.ThrowIfNull(test);
        reads ??= [];
        if (reads.Any(string.IsNullOrWhiteSpace)) throw new ArgumentException("Column names must not be empty.", nameof(reads));
        var code = PipelineStep.CodeOf(test);
        return new RowCondition(test, reads, description ?? $"the condition {test.Method.Name}", $"code:{code}|reads:{string.Join(",", reads)}");
    }

    /// <summary>Rows whose <paramref name="column"/> holds <paramref name="value"/> (JSON equality: <c>1</c> is not <c>"1"</c>).</summary>
    public static RowCondition Equal(string column, JsonNode? value) => FromJson(new JsonObject { ["column"] = column, ["equals"] = value?.DeepClone() });

    /// <summary>
    /// A condition written in a pipeline file: <c>{"column": "language", "equals": "en"}</c>, with
    /// exactly one operator of <see cref="FileOperators"/>: <c>equals</c> and <c>not_equals</c> (any
    /// JSON value), <c>in</c> and <c>not_in</c> (a list of values), <c>is_null</c> (true or false;
    /// a missing column is null).
    /// </summary>
    /// <exception cref="ArgumentException">The object is not such a condition: the message names what is wrong and the allowed operators.</exception>
    public static RowCondition FromJson(JsonObject json)
    {
        ArgumentNullException.ThrowIfNull(json);
        var allowed = $"column plus one of {string.Join(", ", FileOperators)}";
        foreach (var key in json.Select(p => p.Key).Where(k => k != "column" && !FileOperators.Contains(k)))
        {
            var hint = DidYouMean.Closest(key, ["column", .. FileOperators]) is { } close ? $" (did you mean '{close}'?)" : "";
            throw new ArgumentException($"a condition has no operator '{key}'{hint}; write {allowed}");
        }
        if (json["column"] is not JsonValue columnValue || columnValue.GetValueKind() != JsonValueKind.String || columnValue.GetValue<string>() is not { Length: > 0 } column)
        {
            throw new ArgumentException($"a condition needs \"column\": the column it tests; write {allowed}");
        }
        var operators = json.Select(p => p.Key).Where(FileOperators.Contains).ToList();
        if (operators.Count != 1)
        {
            throw new ArgumentException($"a condition takes exactly one operator; it has {(operators.Count == 0 ? "none" : string.Join(", ", operators))}; write {allowed}");
        }
        var op = operators[0];
        var operand = json[op];
        Func<JsonObject, bool> test = op switch
        {
            "equals" => row => JsonNode.DeepEquals(row[column], operand),
            "not_equals" => row => !JsonNode.DeepEquals(row[column], operand),
            "in" => OneOf(column, Values(operand, op)),
            "not_in" => Not(OneOf(column, Values(operand, op))),
            _ => operand is JsonValue flag && flag.GetValueKind() is JsonValueKind.True or JsonValueKind.False
                ? (flag.GetValue<bool>() ? row => row[column] is null : row => row[column] is not null)
                : throw new ArgumentException("\"is_null\" must be true or false"),
        };
        var written = $"{column} {op.Replace('_', ' ')} {operand?.ToJsonString() ?? "null"}";
        return new RowCondition(test, [column], written, "file:" + new JsonObject { ["column"] = column, [op] = operand?.DeepClone() }.ToJsonString());
    }

    /// <summary>
    /// The key of a pipeline file that holds a condition (<c>"when": {"column": ..., "equals": ...}</c>),
    /// for a step kind's keys: the strict reader and <c>distil schema</c> know its operators from it.
    /// </summary>
    public static PipelineFileKey FileKey(string name, string description) => PipelineFileKey.Options(name, description,
        PipelineFileKey.Text("column", "The column tested."),
        new PipelineFileKey("equals", AnyValue, "Passes when the column holds this value (JSON equality)."),
        new PipelineFileKey("not_equals", AnyValue, "Passes when the column does not hold this value."),
        PipelineFileKey.List("in", "Passes when the column holds one of these values."),
        PipelineFileKey.List("not_in", "Passes when the column holds none of these values."),
        PipelineFileKey.Flag("is_null", "true: passes when the column is null or missing; false: when it has a value."));

    private static readonly string[] AnyValue = ["string", "number", "boolean", "null"];

    /// <inheritdoc/>
    public override string ToString() => Description;

    private static Func<JsonObject, bool> OneOf(string column, List<JsonNode?> values) =>
        row => values.Any(v => JsonNode.DeepEquals(row[column], v));

    private static Func<JsonObject, bool> Not(Func<JsonObject, bool> test) => row => !test(row);

    private static List<JsonNode?> Values(JsonNode? operand, string op) => operand is JsonArray list
        ? [.. list.Select(v => v?.DeepClone())]
        : throw new ArgumentException($"\"{op}\" must be a list of values");
}
