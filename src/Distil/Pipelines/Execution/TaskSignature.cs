using System.Reflection;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.AI;

namespace Distil.Pipelines;

/// <summary>
/// What identifies a task's results: its type and code (templates compiled into it, its parser),
/// its settings, the prompt it renders, its schema, its generation options and the model that
/// answers. Anything that changes an answer changes the signature; what does not (concurrency,
/// logging) does not.
/// </summary>
internal static class TaskSignature
{
    // Settings that change how a run goes, not what it produces.
    private static readonly HashSet<string> NotSignificant = new(StringComparer.Ordinal)
    {
        nameof(LlmTask.Llm), nameof(LlmTask.Logger), nameof(LlmTask.MaxConcurrency), nameof(LlmTask.GenerationOptions),
        nameof(LlmTask.Inputs), nameof(LlmTask.Outputs), nameof(LlmTask.RequiredInputs),
    };

    public static string Of(LlmTask task)
    {
        var text = new StringBuilder();
        text.Append("type=").Append(task.GetType().FullName).Append('\n');
        text.Append("code=").Append(CodeHash(task.GetType())).Append('\n');
        foreach (var property in task.GetType().GetProperties(BindingFlags.Public | BindingFlags.Instance)
                     .Where(p => p.CanRead && p.GetIndexParameters().Length == 0 && !NotSignificant.Contains(p.Name))
                     .OrderBy(p => p.Name, StringComparer.Ordinal))
        {
            text.Append(property.Name).Append('=').Append(Value(property.GetValue(task))).Append('\n');
        }
        text.Append("prompt=").Append(task.DescribePrompt()).Append('\n');
        text.Append("options=").Append(Options(task.GenerationOptions)).Append('\n');
        text.Append("model=").Append(Model(task.Llm)).Append('\n');
        return text.ToString();
    }

    private static string Value(object? value)
    {
        try
        {
            return JsonSerializer.Serialize(value);
        }
        catch (Exception error) when (error is NotSupportedException or InvalidOperationException or JsonException)
        {
            return value?.ToString() ?? "null";
        }
    }

    private static string Options(ChatOptions? options) => options is null ? "none" : JsonSerializer.Serialize(new
    {
        options.ModelId,
        options.Temperature,
        options.TopP,
        options.TopK,
        options.MaxOutputTokens,
        options.Seed,
        options.FrequencyPenalty,
        options.PresencePenalty,
        options.StopSequences,
        ResponseFormat = options.ResponseFormat switch
        {
            ChatResponseFormatJson { Schema: { } schema } => "json:" + schema.GetRawText(),
            ChatResponseFormatJson => "json",
            null => null,
            _ => "text",
        },
        Additional = options.AdditionalProperties?.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => $"{p.Key}={Value(p.Value)}").ToArray(),
    });

    private static string Model(IChatClient? llm)
    {
        var metadata = llm?.GetService<ChatClientMetadata>();
        return metadata is null ? llm?.GetType().FullName ?? "none" : $"{metadata.ProviderName}|{metadata.ProviderUri}|{metadata.DefaultModelId}";
    }

    // The IL of every method of the task class, its bases up to Distil's own and its nested types:
    // a changed template (compiled into FormatInput), parser or setting default changes it.
    private static string CodeHash(Type type)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        for (var current = type; current is not null && current.Assembly != typeof(LlmTask).Assembly; current = current.BaseType)
        {
            AppendType(hash, current);
        }
        return Convert.ToHexString(hash.GetHashAndReset())[..32];
    }

    private static void AppendType(IncrementalHash hash, Type type)
    {
        const BindingFlags declared = BindingFlags.DeclaredOnly | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static;
        foreach (var method in type.GetMethods(declared).Cast<MethodBase>().Concat(type.GetConstructors(declared)).OrderBy(m => m.ToString(), StringComparer.Ordinal))
        {
            hash.AppendData(Encoding.UTF8.GetBytes(method.ToString() ?? ""));
            if (method.GetMethodBody()?.GetILAsByteArray() is { } il) hash.AppendData(il);
        }
        foreach (var nested in type.GetNestedTypes(BindingFlags.Public | BindingFlags.NonPublic).OrderBy(t => t.Name, StringComparer.Ordinal))
        {
            AppendType(hash, nested);
        }
    }
}
