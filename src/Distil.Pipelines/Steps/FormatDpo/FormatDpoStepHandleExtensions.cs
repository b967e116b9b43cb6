namespace Distil.Pipelines;

/// <summary>The <c>format_dpo</c> step: preference pairs for DPO-style training (<see cref="FormatDpo"/>).</summary>
public static class FormatDpoStepHandleExtensions
{
    /// <summary>
    /// Adds a preference pair for DPO-style training: <c>prompt</c>, <c>chosen</c> (the best-rated of
    /// <paramref name="generations"/>), <c>rejected</c> (the worst-rated), <c>chosen_rating</c>,
    /// <c>rejected_rating</c>, from the ratings in <paramref name="ratings"/> (one per generation, as
    /// UltraFeedback and the scorers write them). Earlier answers win ties for chosen, later ones for
    /// rejected; rows without two different ratings are left out.
    /// </summary>
    /// <example><c>pipeline.Load(rows).Then(new UltraFeedback()).FormatDpo().Write("dpo.jsonl")</c></example>
    [AddsColumn("prompt", "string")]
    [AddsColumn("chosen", "string")]
    [AddsColumn("rejected", "string")]
    [AddsColumn("chosen_rating", "number", ItemTypeOf = nameof(ratings))]
    [AddsColumn("rejected_rating", "number", ItemTypeOf = nameof(ratings))]
    public static StepHandle FormatDpo(this StepHandle step,
        [ReadsColumn(Type = "string")] string prompt = "instruction",
        [ReadsColumn(Type = "list<string>")] string generations = "generations",
        [ReadsColumn] string ratings = "ratings",
        string? name = null)
    {
        ArgumentNullException.ThrowIfNull(step);
        ArgumentException.ThrowIfNullOrWhiteSpace(prompt);
        ArgumentException.ThrowIfNullOrWhiteSpace(generations);
        ArgumentException.ThrowIfNullOrWhiteSpace(ratings);
        return step.Then(new FormatDpoStep(name ?? step.Pipeline.NewStepName("format_dpo"), prompt, generations, ratings));
    }
}
