using System.ComponentModel;
using System.Text.Json;
using System.Text.Json.Nodes;
using Distil.Mapping;
using Distil.Parsing;
using Microsoft.Extensions.AI;

namespace Distil.Tasks;

/// <summary>
/// Answers an instruction with JSON that follows a schema given per row: each row can ask for a
/// different shape.
/// </summary>
/// <remarks>
/// Columns: <c>instruction</c>, optional <c>structured_output</c> (<c>{"format": "json",
/// "schema": {...}}</c>; the schema as an object or as JSON text), optional <c>system_prompt</c>
/// → <c>generation</c>: the answer as compact JSON text, or null when it is not JSON. Rows without
/// <c>structured_output</c> get a plain answer. The schema goes to the provider as a (non-strict)
/// <c>json_schema</c> response format; local models need a grammar instead, so this task suits
/// remote providers. Only the <c>json</c> format is supported: <c>regex</c> needs a decoder that
/// no Distil provider has.
/// </remarks>
[Task("structured_generation")]
public sealed partial class StructuredGeneration : LlmTask<StructuredGeneration.Input, StructuredGeneration.Output>
{
    /// <summary>The instruction, the shape its answer must have, and an optional system prompt.</summary>
    public sealed record Input(string Instruction, JsonObject? StructuredOutput = null, string? SystemPrompt = null);

    /// <summary>The answer, as JSON text.</summary>
    public sealed record Output([property: Description("The answer, as JSON text that follows the row's schema.")] string? Generation);

    /// <summary>A row's schema that the provider can be sent, or a clear error.</summary>
    protected override void CheckInput(Input input) => SchemaOf(input.StructuredOutput);

    /// <summary>The row's schema decides the answer's shape, so the task's own schema cannot be used.</summary>
    protected override string WhyNoStructuredOutput => "it takes the schema of each answer from the row's 'structured_output' column";

    IReadOnlyList<ChatMessage> FormatMessages(Input input)
    {
        var user = new ChatMessage(ChatRole.User, input.Instruction);
        return input.SystemPrompt is null ? [user] : [new ChatMessage(ChatRole.System, input.SystemPrompt), user];
    }

    static Output? ParseOutput(string text, Input input)
    {
        if (string.IsNullOrWhiteSpace(text)) return null;
        if (input.StructuredOutput is null) return new Output(text.Trim());
        using var json = LenientJson.TryParse(text);
        return json is null ? null : new Output(JsonNode.Parse(json.RootElement.GetRawText())!.ToJsonString());
    }

    /// <inheritdoc/>
    protected override async Task<Output?> GenerateAsync(Input input, GenerationCalls calls, CancellationToken cancellationToken)
    {
        var schema = SchemaOf(input.StructuredOutput);
        var text = await calls.AskAsync(FormatInput(input), schema is not { } element ? null : options =>
        {
            options.ResponseFormat = ChatResponseFormat.ForJsonSchema(element, schemaName: "structured_output");
        }).ConfigureAwait(false);
        return FormatOutput(text, input);
    }

    private static JsonElement? SchemaOf(JsonObject? structuredOutput)
    {
        if (structuredOutput is null) return null;
        var format = structuredOutput["format"];
        if (format is not null && (format.GetValueKind() != JsonValueKind.String || format.GetValue<string>() != "json"))
        {
            throw new RowValueException(
                $"column 'structured_output' has format {format.ToJsonString()}; only \"json\" (a JSON schema) is supported");
        }
        var schema = structuredOutput["schema"] switch
        {
            JsonObject value => value.ToJsonString(),
            JsonValue value when value.GetValueKind() == JsonValueKind.String => value.GetValue<string>(),
            null => throw new RowValueException("column 'structured_output' has no 'schema'; give a JSON schema object"),
            var other => throw new RowValueException(
                $"column 'structured_output'.schema is a JSON {other.GetValueKind().ToString().ToLowerInvariant()}; give a JSON schema object"),
        };
        try
        {
            using var document = JsonDocument.Parse(schema);
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                throw new RowValueException("column 'structured_output'.schema is not a JSON object; give a JSON schema object");
            }
            return document.RootElement.Clone();
        }
        catch (JsonException error)
        {
            throw new RowValueException($"column 'structured_output'.schema is text that is not JSON ({error.Message})", error);
        }
    }
}
