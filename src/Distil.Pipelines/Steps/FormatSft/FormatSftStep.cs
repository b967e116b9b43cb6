using System.Text.Json.Nodes;
using Distil.Mapping;

namespace Distil.Pipelines;

/// <summary>
/// Turns a prompt and an answer into the chat format supervised fine-tuning reads (TRL's
/// <c>SFTTrainer</c>, Axolotl, Unsloth): a <c>messages</c> list of <c>{role, content}</c> turns,
/// an optional system turn first. A row whose answer is null (a failed or unparsed generation) is
/// left out: it teaches nothing. Grouped generations (a list of answers) give one row each.
/// </summary>
internal sealed class FormatSftStep(string name, string prompt, string completion, string? system, string output) : RowStep(name)
{
    /// <summary>The answer column: a list of answers gives a row each.</summary>
    public string Completion => completion;

    private static readonly ColumnType Turn = ColumnType.StructOf(new Column("role", ColumnType.String), new Column("content", ColumnType.String));

    public override string Kind => "format_sft";

    public override IReadOnlyList<string> RequiredColumns => [prompt, completion];

    public override RowSchema? SchemaAfter(IReadOnlyList<RowSchema?> parents) => parents[0]?.With([new Column(output, ColumnType.ListOf(Turn))]);

    public override string Settings() => $"{prompt}|{completion}|{system}|{output}";

    // Rule: a row per answer that has text; a list of answers gives at most its length of them.
    protected internal override RowCountRule CountRows(RowCountContext input)
    {
        var column = input.Schema?.Find(completion);
        var answers = input.ListLength(completion) ?? (column?.Type.Kind == ColumnKind.List ? column.Rules?.MaxLength : null);
        if (answers is { } most) return RowCountRule.Times(most, exact: false, $"format_sft '{Name}' gives a row per answer that has text (at most {most})");
        return column?.Type.Kind is ColumnKind.List or ColumnKind.Unknown
            ? RowCountRule.Unknown($"format_sft '{Name}' gives a row per answer in '{completion}', a list whose length is known only from the rows")
            : RowCountRule.AtMost($"format_sft '{Name}' leaves out rows without an answer");
    }

    protected override IReadOnlyList<JsonObject> Apply(JsonObject row)
    {
        var question = JsonNodeRead.Text(row[prompt]);
        if (question is null) return [];
        var answers = row[completion] is JsonArray many ? many.Select(JsonNodeRead.Text).ToList() : [JsonNodeRead.Text(row[completion])];
        var rows = new List<JsonObject>();
        foreach (var answer in answers)
        {
            if (answer is null) continue;
            var copy = answers.Count == 1 ? row : (JsonObject)row.DeepClone();
            var messages = new JsonArray();
            if (system is not null) messages.Add((JsonNode)Message("system", system));
            messages.Add((JsonNode)Message("user", question));
            messages.Add((JsonNode)Message("assistant", answer));
            copy[output] = messages;
            rows.Add(copy);
        }
        return rows;
    }

    private static JsonObject Message(string role, string content) => new() { ["role"] = role, ["content"] = content };
}
