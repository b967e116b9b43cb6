using System.Text.Json;
using System.Text.Json.Nodes;

namespace Distil.Pipelines;

/// <summary>
/// One step of a pipeline file, as a <see cref="PipelineFileStepKind"/> builds it: its name, its
/// JSON, the steps it comes after, and readers of its settings. The typed readers read the kind's
/// options object (<c>"format_sft": { "prompt": ... }</c>); a value of the wrong type is an error
/// naming the step and the key.
/// </summary>
public sealed class PipelineFileStepContext
{
    private readonly string _folder;

    /// <summary>Describes one step of a file in <paramref name="folder"/> (paths are relative to it).</summary>
    public PipelineFileStepContext(Pipeline pipeline, string stepName, string kind, JsonObject step, IReadOnlyList<StepHandle> parents, string folder)
    {
        ArgumentNullException.ThrowIfNull(pipeline);
        ArgumentException.ThrowIfNullOrWhiteSpace(stepName);
        ArgumentException.ThrowIfNullOrWhiteSpace(kind);
        ArgumentNullException.ThrowIfNull(step);
        ArgumentNullException.ThrowIfNull(parents);
        Pipeline = pipeline;
        StepName = stepName;
        Kind = kind;
        Step = step;
        Parents = parents;
        _folder = folder;
    }

    /// <summary>The pipeline being built.</summary>
    public Pipeline Pipeline { get; }

    /// <summary>The step's name in the file; name the step it (the fluent methods' <c>name</c>).</summary>
    public string StepName { get; }

    /// <summary>The step's kind (its kind key).</summary>
    public string Kind { get; }

    /// <summary>The step's whole JSON object (<c>name</c>, <c>after</c>, the kind key and any other keys).</summary>
    public JsonObject Step { get; }

    /// <summary>The value of the kind key as an object (its options), or null when it is not one.</summary>
    public JsonObject? Options => Step[Kind] as JsonObject;

    /// <summary>The steps this one comes after (its <c>after</c>), in order.</summary>
    public IReadOnlyList<StepHandle> Parents { get; }

    /// <summary>The one step this one comes after.</summary>
    /// <exception cref="PipelineException">It comes after none, or several.</exception>
    public StepHandle Single() =>
        Parents.Count == 1 ? Parents[0] : throw Error($"takes one step before it in \"after\"; it has {Parents.Count}");

    /// <summary>A path of the file, relative to the pipeline file's folder (an absolute one stays as it is).</summary>
    public string ResolvePath(string relative)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(relative);
        return Path.GetFullPath(Path.Combine(_folder, relative));
    }

    /// <summary>
    /// A problem of this step, to throw: the command says it with the file, e.g.
    /// <c>distil run: pipeline.json: step 'pairs' (format_dpo): "ratings" must name a column</c>.
    /// </summary>
    public PipelineException Error(string message) => new($"step '{StepName}' ({Kind}): {message}");

    /// <summary>The option <paramref name="key"/> as text, or null when it is not there.</summary>
    /// <exception cref="PipelineException">It is there but not a non-empty string.</exception>
    public string? Text(string key) => Option(key) switch
    {
        null => null,
        JsonValue value when value.GetValueKind() == JsonValueKind.String && value.GetValue<string>() is { Length: > 0 } text => text,
        _ => throw Error($"\"{key}\" must be a non-empty string"),
    };

    /// <summary>The option <paramref name="key"/> as a number, or null when it is not there.</summary>
    /// <exception cref="PipelineException">It is there but not a number.</exception>
    public double? Number(string key) => Option(key) switch
    {
        null => null,
        JsonValue value when value.GetValueKind() == JsonValueKind.Number => value.GetValue<double>(),
        _ => throw Error($"\"{key}\" must be a number"),
    };

    /// <summary>The option <paramref name="key"/> as true or false, or null when it is not there.</summary>
    /// <exception cref="PipelineException">It is there but not true or false.</exception>
    public bool? Flag(string key) => Option(key) switch
    {
        null => null,
        JsonValue value when value.GetValueKind() is JsonValueKind.True or JsonValueKind.False => value.GetValue<bool>(),
        _ => throw Error($"\"{key}\" must be true or false"),
    };

    /// <summary>The option <paramref name="key"/> as a list of strings, or null when it is not there.</summary>
    /// <exception cref="PipelineException">It is there but not a non-empty list of strings.</exception>
    public IReadOnlyList<string>? List(string key) => Option(key) switch
    {
        null => null,
        JsonArray { Count: > 0 } array when array.All(n => n is JsonValue v && v.GetValueKind() == JsonValueKind.String) => array.Select(n => n!.GetValue<string>()).ToList(),
        _ => throw Error($"\"{key}\" must be a non-empty list of strings"),
    };

    /// <summary>The option <paramref name="key"/> as an object of name: text (old column: new column), or null when it is not there.</summary>
    /// <exception cref="PipelineException">It is there but not a non-empty object of strings.</exception>
    public IReadOnlyDictionary<string, string>? Map(string key) => Option(key) switch
    {
        null => null,
        JsonObject { Count: > 0 } map when map.All(p => p.Value is JsonValue v && v.GetValueKind() == JsonValueKind.String) =>
            map.ToDictionary(p => p.Key, p => p.Value!.GetValue<string>(), StringComparer.Ordinal),
        _ => throw Error($"\"{key}\" must be a non-empty object of name: text"),
    };

    // An option of the kind's object; a kind whose key holds no object has none.
    private JsonNode? Option(string key)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(key);
        return Options?[key];
    }
}
