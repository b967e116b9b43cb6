using System.Text.Json.Nodes;
using Microsoft.Extensions.AI;

namespace Distil.OpenAI;

/// <summary>
/// The body of a chat completions request, for batch files: the same fields an online call sends
/// for the options Distil tasks use. Distil's own option keys (<c>distil.*</c>) stay out.
/// </summary>
internal static class ChatRequestBody
{
    public static JsonObject From(IReadOnlyList<ChatMessage> messages, ChatOptions options, string model)
    {
        var body = new JsonObject
        {
            ["model"] = options.ModelId ?? model,
            ["messages"] = new JsonArray(messages.Select(m => (JsonNode)new JsonObject { ["role"] = m.Role.Value, ["content"] = m.Text }).ToArray()),
        };
        if (options.Temperature is { } temperature) body["temperature"] = temperature;
        if (options.TopP is { } topP) body["top_p"] = topP;
        if (options.MaxOutputTokens is { } maxTokens) body["max_completion_tokens"] = maxTokens;
        if (options.Seed is { } seed) body["seed"] = seed;
        if (options.FrequencyPenalty is { } frequency) body["frequency_penalty"] = frequency;
        if (options.PresencePenalty is { } presence) body["presence_penalty"] = presence;
        if (options.StopSequences is { Count: > 0 } stop) body["stop"] = new JsonArray(stop.Select(s => (JsonNode)s).ToArray());
        switch (options.ResponseFormat)
        {
            case ChatResponseFormatJson { Schema: { } schema } json:
                var strict = options.AdditionalProperties?.TryGetValue(ChatOptionsKeys.StrictJsonSchema, out var value) == true && value is true;
                body["response_format"] = new JsonObject
                {
                    ["type"] = "json_schema",
                    ["json_schema"] = new JsonObject
                    {
                        ["name"] = json.SchemaName ?? "output",
                        ["schema"] = JsonNode.Parse(schema.GetRawText()),
                        ["strict"] = strict,
                    },
                };
                break;
            case ChatResponseFormatJson:
                body["response_format"] = new JsonObject { ["type"] = "json_object" };
                break;
        }
        return body;
    }
}
