using System.Text.Json.Nodes;

namespace Distil.Testing;

/// <summary>A chat-completion request as the fake server received it.</summary>
/// <param name="Index">0-based arrival number.</param>
/// <param name="Path">The request path, e.g. <c>/v1/chat/completions</c> or an Azure deployment path.</param>
/// <param name="Body">The JSON body as sent.</param>
/// <param name="HasCredential">Whether an <c>Authorization</c> or <c>api-key</c> header came with it (its value is never kept).</param>
/// <param name="ReceivedAt">When it arrived, as time since the server started.</param>
public sealed record FakeRequest(int Index, string Path, JsonObject Body, bool HasCredential, TimeSpan ReceivedAt)
{
    /// <summary>The <c>model</c> field of the body (for Azure, null: the deployment is in the path).</summary>
    public string? Model => (string?)Body["model"];

    /// <summary>The text of the last message, which for a task is its user prompt.</summary>
    public string LastMessage =>
        Body["messages"] is JsonArray { Count: > 0 } messages ? ContentText(messages[^1]?["content"]) : "";

    /// <summary>
    /// How many assistant turns the request carries: 0 when it opens a conversation (a task's first
    /// ask), more for a follow-up that sends the model's earlier answers back (a re-ask, a later
    /// turn). <see cref="FakeReplies.OnFirstTurn"/> replies by it.
    /// </summary>
    public int AssistantTurns =>
        Body["messages"] is JsonArray messages ? messages.Count(m => (string?)m?["role"] == "assistant") : 0;

    /// <summary>
    /// The results of tool calls the request sends back (messages of role <c>tool</c>), by call id,
    /// in order: what a model reads after asking for tools.
    /// </summary>
    public IReadOnlyList<(string CallId, string Content)> ToolResults =>
        Body["messages"] is JsonArray messages
            ? messages.Where(m => (string?)m?["role"] == "tool").Select(m => ((string?)m!["tool_call_id"] ?? "", ContentText(m["content"]))).ToList()
            : [];

    /// <summary>The names of the tools the request offers (its <c>tools</c>), in order.</summary>
    public IReadOnlyList<string> ToolNames =>
        Body["tools"] is JsonArray tools ? tools.Select(t => (string?)t?["function"]?["name"] ?? "").ToList() : [];

    /// <summary>All message texts, joined by new lines.</summary>
    public string Prompt =>
        Body["messages"] is JsonArray messages ? string.Join("\n", messages.Select(m => ContentText(m?["content"]))) : "";

    // Content is a string, or a list of parts of which the text ones count.
    private static string ContentText(JsonNode? content) => content switch
    {
        JsonValue value => (string?)value ?? "",
        JsonArray parts => string.Concat(parts.Select(p => (string?)p?["text"] ?? "")),
        _ => "",
    };
}
