using System.Text.Json;
using System.Text.Json.Nodes;
using Distil.Mapping;
using Microsoft.Extensions.AI;

namespace Distil.Pipelines;

/// <summary>
/// Turns a task's tool trajectory into a fine-tuning example: a <c>messages</c> list (the prompt,
/// assistant turns with their <c>tool_calls</c>, <c>tool</c> results, the final answer) and a
/// <c>tools</c> list (each <see cref="AIFunction"/> of the task with its JSON schema), in OpenAI's
/// or Hugging Face's layout (<see cref="ToolExportFormat"/>). The trajectory holds the whole
/// conversation, prompt and final answer included, so it is the one column read.
/// </summary>
internal sealed class FormatToolsStep(string name, LlmTask task, ToolExportFormat format, string messages, string tools) : RowStep(name)
{
    private static readonly ColumnType FunctionType = ColumnType.StructOf(
        new Column("name", ColumnType.String),
        new Column("description", ColumnType.String),
        new Column("parameters", ColumnType.Json));

    private static readonly ColumnType ToolsType = ColumnType.ListOf(ColumnType.StructOf(
        new Column("type", ColumnType.String),
        new Column("function", FunctionType)));

    // The tools are read when the first row comes, not when the step is made: a run may add
    // tools (an MCP server's) to the task after the pipeline is built.
    private JsonArray? _tools;

    public override string Kind => "format_tools";

    public override IReadOnlyList<string> RequiredColumns => [task.TrajectoryColumn];

    public override RowSchema? SchemaAfter(IReadOnlyList<RowSchema?> parents) =>
        parents[0]?.With([new Column(messages, ColumnType.ListOf(MessageType(format))), new Column(tools, ToolsType)]);

    public override string Settings() => $"{task.Name}|{format}|{messages}|{tools}";

    /// <summary>One message: OpenAI's arguments are JSON text, Hugging Face's a JSON object (JSON text in typed files).</summary>
    private static ColumnType MessageType(ToolExportFormat format)
    {
        var call = ColumnType.StructOf(
            new Column("id", ColumnType.String),
            new Column("type", ColumnType.String),
            new Column("function", ColumnType.StructOf(
                new Column("name", ColumnType.String),
                new Column("arguments", format == ToolExportFormat.OpenAI ? ColumnType.String : ColumnType.Json))));
        List<Column> fields =
        [
            new("role", ColumnType.String),
            new("content", ColumnType.String),
            new("tool_calls", ColumnType.ListOf(call)),
            new("tool_call_id", ColumnType.String),
        ];
        if (format == ToolExportFormat.HuggingFace) fields.Add(new Column("name", ColumnType.String));
        return ColumnType.StructOf(fields);
    }

    // Rule: a row per generation that has a final answer; grouped generations give at most their count.
    protected internal override RowCountRule CountRows(RowCountContext input)
    {
        var column = task.TrajectoryColumn;
        var generations = task.GroupGenerations ? input.ListLength(column) : null;
        if (generations is { } most) return RowCountRule.Times(most, exact: false, $"format_tools '{Name}' gives a row per generation that has a final answer (at most {most})");
        return task.GroupGenerations
            ? RowCountRule.Unknown($"format_tools '{Name}' gives a row per generation in '{column}', a list whose length is known only from the rows")
            : RowCountRule.AtMost($"format_tools '{Name}' leaves out rows without a final answer");
    }

    protected override IReadOnlyList<JsonObject> Apply(JsonObject row)
    {
        var trajectories = Trajectories(row[task.TrajectoryColumn]);
        var rows = new List<JsonObject>();
        foreach (var trajectory in trajectories)
        {
            if (!HasFinalAnswer(trajectory)) continue;
            var copy = trajectories.Count == 1 ? row : (JsonObject)row.DeepClone();
            copy[messages] = Messages(trajectory);
            copy[tools] = Tools().DeepClone();
            rows.Add(copy);
        }
        return rows;
    }

    // A grouped task keeps a list of trajectories, one per generation; otherwise the column is one.
    private static List<JsonArray> Trajectories(JsonNode? column) => column switch
    {
        JsonArray list when list.Count > 0 && list.All(item => item is JsonArray or null) => list.OfType<JsonArray>().ToList(),
        JsonArray one => [one],
        _ => [],
    };

    // Rule: an example ends with the assistant's answer; a generation that failed or still asked
    // for tools after its last round has none and teaches nothing.
    private static bool HasFinalAnswer(JsonArray trajectory) =>
        trajectory.Count > 0 && trajectory[^1] is JsonObject last
        && Text(last, "role") == "assistant" && Text(last, "tool_call_id") is null && Text(last, "content") is not null;

    /// <summary>
    /// The messages of a trajectory. The trajectory keeps one entry per call of an assistant turn
    /// (the turn's text on the first), so consecutive assistant entries with calls are one message.
    /// </summary>
    private JsonArray Messages(JsonArray trajectory)
    {
        var result = new JsonArray();
        JsonArray? openCalls = null;
        foreach (var entry in trajectory.OfType<JsonObject>())
        {
            var role = Text(entry, "role") ?? "user";
            var callId = Text(entry, "tool_call_id");
            if (role == "assistant" && callId is not null)
            {
                if (openCalls is null)
                {
                    openCalls = [];
                    var turn = new JsonObject { ["role"] = "assistant" };
                    if (Text(entry, "content") is { } said) turn["content"] = said;
                    turn["tool_calls"] = openCalls;
                    result.Add((JsonNode)turn);
                }
                openCalls.Add((JsonNode)Call(entry, callId));
                continue;
            }
            openCalls = null;
            result.Add((JsonNode)(role == "tool" ? ToolMessage(entry, callId) : new JsonObject { ["role"] = role, ["content"] = Text(entry, "content") ?? "" }));
        }
        return result;
    }

    private JsonObject Call(JsonObject entry, string callId)
    {
        var arguments = Text(entry, "arguments") ?? "{}";
        return new JsonObject
        {
            ["id"] = callId,
            ["type"] = "function",
            ["function"] = new JsonObject
            {
                ["name"] = Text(entry, "tool_name"),
                ["arguments"] = format == ToolExportFormat.OpenAI ? arguments : ArgumentsObject(arguments),
            },
        };
    }

    // Arguments a model wrote that are not JSON stay text: the example keeps what was said.
    private static JsonNode? ArgumentsObject(string arguments)
    {
        try
        {
            return JsonNode.Parse(arguments);
        }
        catch (JsonException)
        {
            return JsonValue.Create(arguments);
        }
    }

    // The result as the model was given it: a failed call's error text, as the tool loop sends it.
    private JsonObject ToolMessage(JsonObject entry, string? callId)
    {
        var content = Text(entry, "error") is { } error ? "Error: " + error : Text(entry, "result") ?? "";
        var message = new JsonObject { ["role"] = "tool", ["tool_call_id"] = callId };
        if (format == ToolExportFormat.HuggingFace && Text(entry, "tool_name") is { } tool) message["name"] = tool;
        message["content"] = content;
        return message;
    }

    /// <summary>The task's functions as the Chat Completions API declares them: <c>{type, function: {name, description, parameters}}</c>.</summary>
    private JsonArray Tools()
    {
        if (Volatile.Read(ref _tools) is { } known) return known;
        var list = new JsonArray();
        foreach (var function in task.Tools.OfType<AIFunction>())
        {
            list.Add((JsonNode)new JsonObject
            {
                ["type"] = "function",
                ["function"] = new JsonObject
                {
                    ["name"] = function.Name,
                    ["description"] = function.Description,
                    ["parameters"] = JsonNode.Parse(function.JsonSchema.GetRawText()),
                },
            });
        }
        Volatile.Write(ref _tools, list);
        return list;
    }

    private static string? Text(JsonObject entry, string field) => JsonNodeRead.Text(entry[field]);
}
