using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Extensions.AI;

namespace Distil.Pipelines;

/// <summary>
/// What a dataset card says of a task step: the parameters that shaped its answers and the
/// prompt it sent, so that a reader of the dataset can tell how each column was made.
/// </summary>
internal static partial class TaskDetails
{
    /// <summary>
    /// The task's settings that affect answers, then the generation options it sends that are set,
    /// by name with their values as text. Rule: a name that says it holds a secret is left out.
    /// </summary>
    public static IReadOnlyList<KeyValuePair<string, string>> Parameters(LlmTask task)
    {
        var parameters = task.Settings
            .Where(s => s.AffectsResults && !IsSecret(s.Name))
            .Select(s => new KeyValuePair<string, string>(s.Name, SettingValues.Text(s.GetValue(task))))
            .ToList();
        if (task.GenerationOptions is { } options)
        {
            void Add(string name, object? value)
            {
                if (value is not null && !parameters.Any(p => p.Key == name)) parameters.Add(new(name, SettingValues.Text(value)));
            }
            Add("temperature", options.Temperature);
            Add("top_p", options.TopP);
            Add("top_k", options.TopK);
            Add("max_output_tokens", options.MaxOutputTokens);
            Add("seed", options.Seed);
            Add("frequency_penalty", options.FrequencyPenalty);
            Add("presence_penalty", options.PresencePenalty);
            Add("stop", options.StopSequences);
            foreach (var (key, value) in options.AdditionalProperties?.OrderBy(p => p.Key, StringComparer.Ordinal) ?? Enumerable.Empty<KeyValuePair<string, object?>>())
            {
                if (!IsSecret(key)) Add(key, value is JsonElement element ? element.GetRawText() : value);
            }
        }
        return parameters;
    }

    /// <summary>The messages the task sends for its placeholder input.</summary>
    public static IReadOnlyList<ChatMessage> Prompt(LlmTask task) => task.PlaceholderPrompt();

    private static bool IsSecret(string name) => SecretName().IsMatch(name);

    // api_key, apiKey, secret, password, access_token, credentials: never written to a dataset card.
    [GeneratedRegex("(key|secret|password|passwd|token|credential|credentials|auth|authorization)$", RegexOptions.IgnoreCase)]
    private static partial Regex SecretName();
}
