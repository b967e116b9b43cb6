using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.AI;

namespace Distil.Pipelines;

/// <summary>
/// Settings of a pipeline's tasks changed at run time, without changing code: any task setting
/// (<c>num_generations</c>, <c>aspect</c>, <c>max_concurrency</c>…) and the LLM options
/// (<c>temperature</c>, <c>top_p</c>, <c>top_k</c>, <c>max_new_tokens</c>, <c>seed</c>, <c>stop</c>,
/// <c>frequency_penalty</c>, <c>presence_penalty</c>, <c>model</c>). Names are checked before the run,
/// with a suggestion for a misspelt one.
/// </summary>
/// <example>
/// <code>
/// var parameters = RuntimeParameters.Parse(["text_generation.temperature=0.2", "text_generation.num_generations=3"]);
/// await pipeline.RunAsync(new PipelineRunOptions { Parameters = parameters });
/// </code>
/// </example>
public sealed class RuntimeParameters
{
    private static readonly string[] LlmOptions =
        ["temperature", "top_p", "top_k", "max_new_tokens", "max_output_tokens", "seed", "stop", "frequency_penalty", "presence_penalty", "model"];

    private readonly List<Setting> _settings;

    internal sealed record Setting(string Step, string Name, JsonNode? Value, string Origin);

    // The settings in the order given; a pipeline applies them to its task steps.
    internal IReadOnlyList<Setting> Settings => _settings;

    private RuntimeParameters(List<Setting> settings) => _settings = settings;

    /// <summary>The settings, as <c>step.parameter</c> → value (JSON).</summary>
    public IReadOnlyDictionary<string, string> Values =>
        _settings.ToDictionary(s => $"{s.Step}.{s.Name}", s => s.Value?.ToJsonString() ?? "null");

    /// <summary>
    /// Reads <c>step.parameter=value</c> pairs. A value is read as JSON when it is JSON
    /// (<c>0.7</c>, <c>true</c>, <c>["a","b"]</c>), else as text (<c>honesty</c>).
    /// </summary>
    /// <exception cref="FormatException">A pair is not <c>step.parameter=value</c>; the message names it.</exception>
    public static RuntimeParameters Parse(IEnumerable<string> pairs)
    {
        ArgumentNullException.ThrowIfNull(pairs);
        var settings = new List<Setting>();
        foreach (var pair in pairs)
        {
            var equals = pair.IndexOf('=', StringComparison.Ordinal);
            var name = equals < 0 ? "" : pair[..equals].Trim();
            var dot = name.LastIndexOf('.');
            if (equals < 0 || dot <= 0 || dot == name.Length - 1)
            {
                throw new FormatException($"Runtime parameter '{pair}' must look like step.parameter=value, e.g. text_generation.temperature=0.7.");
            }
            settings.Add(new Setting(name[..dot], name[(dot + 1)..], ReadValue(pair[(equals + 1)..]), $"'{pair}'"));
        }
        return new RuntimeParameters(settings);
    }

    /// <summary>Reads <c>{"step": {"parameter": value}}</c>.</summary>
    /// <exception cref="FormatException">The JSON is not of that shape; the message says where.</exception>
    public static RuntimeParameters FromJson(string json, string origin = "runtime parameters")
    {
        JsonNode? root;
        try
        {
            root = JsonNode.Parse(json);
        }
        catch (JsonException error)
        {
            throw new FormatException($"{origin}: not valid JSON at {ErrorText.OfJson(error, json)}.", error);
        }
        if (root is not JsonObject steps) throw new FormatException($"{origin}: expected an object of steps, {{\"step\": {{\"parameter\": value}}}}.");
        var settings = new List<Setting>();
        foreach (var (step, parameters) in steps)
        {
            if (parameters is not JsonObject values) throw new FormatException($"{origin}: '{step}' must be an object of parameters.");
            foreach (var (name, value) in values) settings.Add(new Setting(step, name, value?.DeepClone(), $"{origin} {step}.{name}"));
        }
        return new RuntimeParameters(settings);
    }

    /// <summary>Reads a JSON file of <c>{"step": {"parameter": value}}</c>.</summary>
    public static RuntimeParameters FromJsonFile(string path) => FromJson(File.ReadAllText(path), Path.GetFullPath(path));

    /// <summary>These settings, then <paramref name="other"/>'s (which win).</summary>
    public RuntimeParameters Then(RuntimeParameters other) => new([.. _settings, .. other._settings]);

    /// <summary>
    /// Sets parameters of one task from <c>name=value</c> pairs (<c>aspect=honesty</c>,
    /// <c>temperature=0.2</c>), with the same names, values and checks as pipeline parameters.
    /// </summary>
    /// <exception cref="PipelineException">An unknown name (with a suggestion) or a value the task refuses.</exception>
    /// <exception cref="FormatException">A pair is not <c>name=value</c>.</exception>
    public static void ApplyTo(LlmTask task, IEnumerable<string> pairs)
    {
        ArgumentNullException.ThrowIfNull(task);
        ArgumentNullException.ThrowIfNull(pairs);
        foreach (var pair in pairs)
        {
            var equals = pair.IndexOf('=', StringComparison.Ordinal);
            if (equals <= 0) throw new FormatException($"Parameter '{pair}' must look like name=value, e.g. temperature=0.7.");
            Apply(task, new Setting(task.Name, pair[..equals].Trim(), ReadValue(pair[(equals + 1)..]), $"'{pair}'"));
        }
    }

    /// <summary>The names a task accepts: its settings and the LLM options.</summary>
    public static IReadOnlyList<string> NamesFor(LlmTask task)
    {
        var own = Settable(task).Keys.Order(StringComparer.Ordinal).ToList();
        return [.. own, .. LlmOptions.Where(o => !own.Contains(o))];
    }

    internal static void Apply(LlmTask task, Setting setting)
    {
        try
        {
            // A task's own setting wins over an LLM option of the same name (the evolution tasks' seed).
            var properties = task.Settings.ToDictionary(s => s.Name, StringComparer.Ordinal);
            if (LlmOptions.Contains(setting.Name) && !properties.ContainsKey(setting.Name))
            {
                task.GenerationOptions = WithOption(task.GenerationOptions?.Clone() ?? new ChatOptions(), setting.Name, setting.Value);
                return;
            }
            if (!properties.TryGetValue(setting.Name, out var property))
            {
                var names = NamesFor(task);
                var suggestion = DidYouMean.Closest(setting.Name, names) is { } close ? $" Did you mean '{close}'?" : "";
                throw new PipelineException(
                    $"Runtime parameter {setting.Origin}: task '{task.Name}' has no parameter '{setting.Name}'.{suggestion} It has: {string.Join(", ", names)}.");
            }
            property.SetValue(task, setting.Value);
        }
        catch (Exception error) when (error is not PipelineException)
        {
            throw new PipelineException(
                $"Runtime parameter {setting.Origin}: {setting.Value?.ToJsonString() ?? "null"} is not a valid value for '{setting.Name}' of task '{task.Name}': {ErrorText.Of(error)}", error);
        }
    }

    private static ChatOptions WithOption(ChatOptions options, string name, JsonNode? value)
    {
        switch (name)
        {
            case "temperature": options.Temperature = SettingValues.Nullable(value, SettingValues.Single); break;
            case "top_p": options.TopP = SettingValues.Nullable(value, SettingValues.Single); break;
            case "top_k": options.TopK = SettingValues.Nullable(value, SettingValues.Int32); break;
            case "max_new_tokens" or "max_output_tokens": options.MaxOutputTokens = SettingValues.Nullable(value, SettingValues.Int32); break;
            case "seed": options.Seed = SettingValues.Nullable(value, SettingValues.Int64); break;
            case "stop": options.StopSequences = value is JsonArray ? SettingValues.List(value, SettingValues.String) : [SettingValues.String(value)]; break;
            case "frequency_penalty": options.FrequencyPenalty = SettingValues.Nullable(value, SettingValues.Single); break;
            case "presence_penalty": options.PresencePenalty = SettingValues.Nullable(value, SettingValues.Single); break;
            case "model": options.ModelId = SettingValues.NullableString(value); break;
        }
        return options;
    }

    private static JsonNode? ReadValue(string text)
    {
        try
        {
            return JsonNode.Parse(text);
        }
        catch (JsonException)
        {
            return JsonValue.Create(text);
        }
    }

    // The settings that can be set by name (the generated list; no reflection).
    private static Dictionary<string, TaskSetting> Settable(LlmTask task) =>
        task.Settings.Where(s => s.CanSet).ToDictionary(s => s.Name, StringComparer.Ordinal);
}
