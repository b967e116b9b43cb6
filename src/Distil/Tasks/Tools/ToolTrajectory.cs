using System.Text.Json.Nodes;
using Microsoft.Extensions.AI;

namespace Distil;

/// <summary>
/// Builds a generation's tool trajectory and the messages of a tool conversation, and writes the
/// trajectory as the typed column <c>tool_trajectory_&lt;task&gt;</c> (<see cref="LlmTask.TrajectoryType"/>).
/// </summary>
internal static class ToolTrajectory
{
    /// <summary>The entries of messages already in the conversation (the prompt, or an earlier conversation a re-ask repeats).</summary>
    public static IEnumerable<ToolTrajectoryEntry> Of(IEnumerable<ChatMessage> messages)
    {
        foreach (var message in messages)
        {
            var calls = message.Contents.OfType<FunctionCallContent>().ToList();
            var results = message.Contents.OfType<FunctionResultContent>().ToList();
            var text = string.IsNullOrEmpty(message.Text) ? null : message.Text;
            if (calls.Count == 0 && results.Count == 0)
            {
                yield return new ToolTrajectoryEntry(message.Role.Value, text);
                continue;
            }
            foreach (var entry in AssistantTurn(text, calls)) yield return entry with { Role = message.Role.Value };
            foreach (var result in results)
            {
                yield return new ToolTrajectoryEntry(ChatRole.Tool.Value, null, ToolCallId: result.CallId, Result: ToolLoop.ResultText(result.Result));
            }
        }
    }

    // Rule: an assistant turn is one entry per tool call it asks for, the turn's text on the first;
    // a turn without calls is one entry.
    public static IEnumerable<ToolTrajectoryEntry> AssistantTurn(string? text, IReadOnlyList<FunctionCallContent> calls)
    {
        if (calls.Count == 0)
        {
            yield return new ToolTrajectoryEntry(ChatRole.Assistant.Value, text);
            yield break;
        }
        for (var i = 0; i < calls.Count; i++)
        {
            yield return new ToolTrajectoryEntry(ChatRole.Assistant.Value, i == 0 ? text : null, calls[i].Name, calls[i].CallId, ToolCallJournal.ArgumentsText(calls[i].Arguments));
        }
    }

    /// <summary>One entry per tool result, in call order.</summary>
    public static IEnumerable<ToolTrajectoryEntry> Results(IReadOnlyList<FunctionCallContent> calls, IReadOnlyList<ToolCallOutcome> outcomes) =>
        calls.Select((call, i) => new ToolTrajectoryEntry(
            ChatRole.Tool.Value, null, call.Name, call.CallId, ToolCallJournal.ArgumentsText(call.Arguments), outcomes[i].Result, outcomes[i].Error, outcomes[i].ElapsedMs));

    /// <summary>
    /// The assistant turn as the next request carries it: rebuilt from its text and calls only, so
    /// that a turn read back from the run's answers makes the very same next request (and key) as
    /// the turn first received.
    /// </summary>
    public static ChatMessage AssistantMessage(string? text, IReadOnlyList<FunctionCallContent> calls)
    {
        var contents = new List<AIContent>();
        if (text is not null) contents.Add(new TextContent(text));
        contents.AddRange(calls.Select(call => new FunctionCallContent(call.CallId, call.Name, call.Arguments)));
        return new ChatMessage(ChatRole.Assistant, contents);
    }

    /// <summary>The tool results as one message of role <c>tool</c>; an error is sent as the result's text.</summary>
    public static ChatMessage ResultsMessage(IReadOnlyList<FunctionCallContent> calls, IReadOnlyList<ToolCallOutcome> outcomes) =>
        new(ChatRole.Tool, calls.Select((call, i) => (AIContent)new FunctionResultContent(call.CallId, ResultForModel(outcomes[i]))).ToList());

    private static string ResultForModel(ToolCallOutcome outcome) =>
        outcome.Error is { } error ? "Error: " + error : outcome.Result ?? "";

    /// <summary>A trajectory as the column's value: a list of objects with every field of <see cref="LlmTask.TrajectoryType"/>.</summary>
    public static JsonArray? Column(IReadOnlyList<ToolTrajectoryEntry>? trajectory)
    {
        if (trajectory is null) return null;
        var items = new JsonArray();
        foreach (var entry in trajectory)
        {
            items.Add((JsonNode)new JsonObject
            {
                ["role"] = entry.Role,
                ["content"] = entry.Content,
                ["tool_name"] = entry.ToolName,
                ["tool_call_id"] = entry.ToolCallId,
                ["arguments"] = entry.Arguments,
                ["result"] = entry.Result,
                ["error"] = entry.Error,
                ["elapsed_ms"] = entry.ElapsedMs,
            });
        }
        return items;
    }
}
