using System.Text.Json;
using System.Text.Json.Nodes;
using Distil.Mapping;

namespace Distil.Pipelines;

/// <summary>
/// Turns several answers and their ratings into a preference pair, the format DPO-style training
/// reads (TRL's <c>DPOTrainer</c>): <c>prompt</c>, <c>chosen</c> (the best-rated answer),
/// <c>rejected</c> (the worst-rated), with <c>chosen_rating</c> and <c>rejected_rating</c>. Answers
/// without a rating (or without text) are not candidates; among equal ratings the earlier answer is
/// chosen and the later one rejected. A row with fewer than two rated answers, or whose best and
/// worst ratings are equal, has no preference and is left out.
/// </summary>
internal sealed class FormatDpoStep(string name, string prompt, string generations, string ratings) : RowStep(name)
{
    public override string Kind => "format_dpo";

    public override IReadOnlyList<string> RequiredColumns => [prompt, generations, ratings];

    // Rule: a rating keeps its type: the items of a list of integers give integer ratings, of
    // numbers (or of a type not known) numbers.
    public override RowSchema? SchemaAfter(IReadOnlyList<RowSchema?> parents)
    {
        if (parents[0] is not { } schema) return null;
        var rating = schema.Find(ratings)?.Type is { Kind: ColumnKind.List, Element.Kind: ColumnKind.Integer } ? ColumnType.Integer : ColumnType.Number;
        return schema.With(
        [
            new Column("prompt", ColumnType.String), new Column("chosen", ColumnType.String), new Column("rejected", ColumnType.String),
            new Column("chosen_rating", rating), new Column("rejected_rating", rating),
        ]);
    }

    public override string Settings() => $"{prompt}|{generations}|{ratings}";

    // Rule: one row per row that has a preference (a best and a worse rated answer), so at most the input's.
    protected internal override RowCountRule CountRows(RowCountContext input) =>
        RowCountRule.AtMost($"format_dpo '{Name}' leaves out rows without a preference");

    protected override IReadOnlyList<JsonObject> Apply(JsonObject row)
    {
        var question = JsonNodeRead.Text(row[prompt]);
        if (question is null || row[generations] is not JsonArray texts || row[ratings] is not JsonArray scores) return [];
        var candidates = new List<(string Text, double Rating, JsonValue Value)>();
        for (var i = 0; i < Math.Min(texts.Count, scores.Count); i++)
        {
            if (JsonNodeRead.Text(texts[i]) is { } text && scores[i] is JsonValue score && score.GetValueKind() == JsonValueKind.Number
                && double.TryParse(score.ToJsonString(), System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var rating) && double.IsFinite(rating))
            {
                candidates.Add((text, rating, score));
            }
        }
        if (candidates.Count < 2) return [];
        var best = candidates[0];
        var worst = candidates[0];
        foreach (var candidate in candidates.Skip(1))
        {
            if (candidate.Rating > best.Rating) best = candidate;
            if (candidate.Rating <= worst.Rating) worst = candidate;
        }
        if (best.Rating == worst.Rating) return [];
        row["prompt"] = question;
        row["chosen"] = best.Text;
        row["rejected"] = worst.Text;
        // The ratings as they were written (4 stays the integer 4); compared as numbers.
        row["chosen_rating"] = best.Value.DeepClone();
        row["rejected_rating"] = worst.Value.DeepClone();
        return [row];
    }
}
