using System.Text.Json.Nodes;
using Microsoft.Extensions.AI;

namespace Distil;

/// <summary>
/// The metadata of one generation, under distilabel's keys: <c>raw_output_&lt;task&gt;</c>,
/// <c>raw_input_&lt;task&gt;</c>, <c>statistics_&lt;task&gt;</c>, plus <c>error_&lt;task&gt;</c>
/// when the LLM call failed, and, for a task that re-asks, <c>reasks_&lt;task&gt;</c> and every raw
/// answer in order under <c>raw_outputs_&lt;task&gt;</c>.
/// </summary>
internal sealed class TaskMetadata(string taskName, bool addRawOutput, bool addRawInput, bool reasks = false)
{
    private readonly string _reasksKey = "reasks_" + taskName;
    private readonly string _rawOutputsKey = "raw_outputs_" + taskName;
    private readonly string _repairsKey = "repairs_" + taskName;
    private readonly string _rawOutputKey = "raw_output_" + taskName;
    private readonly string _rawInputKey = "raw_input_" + taskName;
    private readonly string _statisticsKey = "statistics_" + taskName;
    private readonly string _errorKey = "error_" + taskName;
    private readonly string _outputErrorKey = "output_error_" + taskName;

    private static readonly ColumnType ChatTurn = ColumnType.StructOf(new Column("role", ColumnType.String), new Column("content", ColumnType.String));

    private static readonly ColumnType Statistics = ColumnType.StructOf(new Column("input_tokens", ColumnType.Integer), new Column("output_tokens", ColumnType.Integer));

    /// <summary>The keys this task's metadata may have, with their types (the schema of what <see cref="For"/> writes).</summary>
    public IEnumerable<Column> Schema
    {
        get
        {
            if (addRawOutput) yield return new Column(_rawOutputKey, ColumnType.String);
            if (addRawInput) yield return new Column(_rawInputKey, ColumnType.ListOf(ChatTurn));
            yield return new Column(_statisticsKey, Statistics);
            yield return new Column(_errorKey, ColumnType.String);
            yield return new Column(_outputErrorKey, ColumnType.String);
            yield return new Column(_repairsKey, ColumnType.ListOf(ColumnType.String));
            if (reasks)
            {
                yield return new Column(_reasksKey, ColumnType.Integer);
                if (addRawOutput) yield return new Column(_rawOutputsKey, ColumnType.ListOf(ColumnType.String));
            }
        }
    }

    public JsonObject For<TOutput>(Generation<TOutput> generation, JsonObject? upstream)
        where TOutput : class
    {
        var metadata = upstream is null ? new JsonObject() : (JsonObject)upstream.DeepClone();

        // Rule: the answer text is kept even when it could not be parsed; a failed call has none.
        if (addRawOutput) metadata[_rawOutputKey] = generation.Text;

        // Rule: as in distilabel's imputation, a failed call records no raw input.
        if (addRawInput) metadata[_rawInputKey] = generation.Failed ? null : RawInput(generation.Messages);

        // Rule: a generation without output always says why under output_error_<task>: the broken rule,
        // why the answer could not be read, or that the call failed (its error apart, under error_<task>).
        if (WhyNoOutput(generation) is { } why) metadata[_outputErrorKey] = why;

        // Rule: what was mended in reading the answer is said, never silent.
        if (generation.Repairs.Count > 0) metadata[_repairsKey] = new JsonArray([.. generation.Repairs.Select(r => (JsonNode?)r)]);

        // Rule: a re-asked generation keeps how many times it was asked again and every answer, in order.
        if (reasks && !generation.Failed)
        {
            metadata[_reasksKey] = generation.EarlierAnswers.Count;
            if (addRawOutput) metadata[_rawOutputsKey] = new JsonArray([.. generation.EarlierAnswers.Append(generation.Text).Select(text => (JsonNode?)text)]);
        }
        if (generation.Failed)
        {
            metadata[_errorKey] = $"{generation.Error!.GetType().Name}: {generation.Error.Message}";
        }
        else
        {
            metadata[_statisticsKey] = new JsonObject
            {
                ["input_tokens"] = generation.Usage?.InputTokenCount,
                ["output_tokens"] = generation.Usage?.OutputTokenCount,
            };
        }
        return metadata;
    }

    private string? WhyNoOutput<TOutput>(Generation<TOutput> generation)
        where TOutput : class =>
        generation.Error is EarlierStepFailedException ? $"not asked: an earlier step failed on this row (see {_errorKey})"
        : generation.Failed ? $"the LLM call failed after its retries (see {_errorKey})"
        : generation.OutputError ?? generation.Rejection;

    /// <summary>
    /// The chat in OpenAI's shape: a list of <c>{role, content}</c>. A turn of a tool loop has no text:
    /// its content is what it carried, the calls an assistant turn asked for (<c>[{"id", "name",
    /// "arguments"}]</c> as JSON text) or the results a tool turn gave back, so that no turn reads as empty.
    /// </summary>
    public static JsonArray RawInput(IReadOnlyList<ChatMessage> messages)
    {
        var chat = new JsonArray();
        foreach (var message in messages)
        {
            chat.Add((JsonNode)new JsonObject { ["role"] = message.Role.Value, ["content"] = Content(message) });
        }
        return chat;
    }

    private static readonly System.Text.Json.JsonSerializerOptions ReadableJson = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private static string Content(ChatMessage message)
    {
        var calls = message.Contents.OfType<FunctionCallContent>().ToList();
        var results = message.Contents.OfType<FunctionResultContent>().ToList();
        if (message.Text.Length > 0 || (calls.Count == 0 && results.Count == 0)) return message.Text;
        if (calls.Count > 0)
        {
            return new JsonArray([.. calls.Select(call => (JsonNode)new JsonObject
            {
                ["id"] = call.CallId,
                ["name"] = call.Name,
                ["arguments"] = ToolCallJournal.ArgumentsText(call.Arguments),
            })]).ToJsonString(ReadableJson);
        }
        return string.Join("\n", results.Select(result => result.Result?.ToString() ?? ""));
    }
}
