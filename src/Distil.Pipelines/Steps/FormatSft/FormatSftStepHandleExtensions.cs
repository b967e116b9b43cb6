namespace Distil.Pipelines;

/// <summary>The <c>format_sft</c> step: chat messages for supervised fine-tuning (<see cref="FormatSft"/>).</summary>
public static class FormatSftStepHandleExtensions
{
    /// <summary>
    /// Adds <paramref name="output"/> (default <c>messages</c>): the chat turns supervised fine-tuning
    /// reads, the system turn (when <paramref name="system"/> is given), the prompt from
    /// <paramref name="prompt"/> and the answer from <paramref name="completion"/>. Rows without an
    /// answer are left out; grouped answers give a row each.
    /// </summary>
    /// <example><c>pipeline.Load(rows).Then(new TextGeneration()).FormatSft(system: "Be brief.").Write("sft.jsonl")</c></example>
    public static StepHandle FormatSft(this StepHandle step,
        [ReadsColumn(Type = "string")] string prompt = "instruction",
        [ReadsColumn(Type = "string")] string completion = "generation",
        string? system = null,
        [WritesColumn("list<object>")] string output = "messages",
        string? name = null)
    {
        ArgumentNullException.ThrowIfNull(step);
        ArgumentException.ThrowIfNullOrWhiteSpace(prompt);
        ArgumentException.ThrowIfNullOrWhiteSpace(completion);
        ArgumentException.ThrowIfNullOrWhiteSpace(output);
        return step.Then(new FormatSftStep(name ?? step.Pipeline.NewStepName("format_sft"), prompt, completion, system, output));
    }
}
