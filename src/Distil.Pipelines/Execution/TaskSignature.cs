using System.Text;
using System.Text.Json;
using Microsoft.Extensions.AI;

namespace Distil.Pipelines;

/// <summary>
/// What identifies a task's results: its type, its source and templates (hashed at build time by
/// the generator), the values of its settings that affect answers, the prompt it renders, its
/// generation options and the model that answers. Anything that changes an answer changes the
/// signature; what does not (concurrency, logging) does not. No reflection: the settings come from
/// the generated <see cref="LlmTask.Settings"/>.
/// </summary>
internal static class TaskSignature
{
    public static string Of(LlmTask task)
    {
        var text = new StringBuilder();
        text.Append("type=").Append(task.GetType().FullName).Append('\n');
        text.Append("source=").Append(task.SourceHashForSignature ?? "none").Append('\n');
        foreach (var setting in task.Settings.Where(s => s.AffectsResults).OrderBy(s => s.Name, StringComparer.Ordinal))
        {
            text.Append(setting.Name).Append('=').Append(SettingValues.Text(setting.GetValue(task))).Append('\n');
        }
        text.Append("prompt=").Append(task.DescribePrompt()).Append('\n');
        text.Append("options=").Append(Options(task.GenerationOptions)).Append('\n');
        text.Append("model=").Append(Model(task.Llm)).Append('\n');
        // Only a task with tools has the line: the signatures of tasks without stay as they were.
        if (task.DescribeTools() is { } tools) text.Append("tools=").Append(tools).Append('\n');
        return text.ToString();
    }

    private static string Options(ChatOptions? options)
    {
        if (options is null) return "none";
        var text = new StringBuilder();
        void Add(string name, object? value) => text.Append(name).Append('=').Append(SettingValues.Text(value)).Append(';');
        Add("model", options.ModelId);
        Add("temperature", options.Temperature);
        Add("top_p", options.TopP);
        Add("top_k", options.TopK);
        Add("max_output_tokens", options.MaxOutputTokens);
        Add("seed", options.Seed);
        Add("frequency_penalty", options.FrequencyPenalty);
        Add("presence_penalty", options.PresencePenalty);
        Add("stop", options.StopSequences);
        Add("response_format", options.ResponseFormat switch
        {
            ChatResponseFormatJson { Schema: { } schema } => "json:" + schema.GetRawText(),
            ChatResponseFormatJson => "json",
            null => null,
            _ => "text",
        });
        foreach (var (key, value) in options.AdditionalProperties?.OrderBy(p => p.Key, StringComparer.Ordinal) ?? Enumerable.Empty<KeyValuePair<string, object?>>())
        {
            Add("+" + key, value is JsonElement element ? element.GetRawText() : value);
        }
        return text.ToString();
    }

    private static string Model(IChatClient? llm)
    {
        var metadata = llm?.GetService<ChatClientMetadata>();
        return metadata is null ? llm?.GetType().FullName ?? "none" : $"{metadata.ProviderName}|{metadata.ProviderUri}|{metadata.DefaultModelId}";
    }
}
