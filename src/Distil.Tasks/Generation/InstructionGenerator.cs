using System.ComponentModel;
using System.Text.RegularExpressions;

namespace Distil.Tasks;

/// <summary>
/// Writes one new instruction for an AI assistant from a seed: a topic, a difficulty and a persona,
/// each optional (the self-instruct idea started from seed topics instead of a document). With
/// <c>Pipeline.Generate(task, seeds)</c> every seed row is its own draw, so sampled seeds
/// (<c>RowSources.Sample</c>: topic × difficulty × persona) give a controlled, diverse set;
/// chain <see cref="EvolInstruct"/> after it to make them harder.
/// </summary>
/// <remarks>
/// Columns: optional <c>topic</c>, <c>difficulty</c>, <c>persona</c> → <c>instruction</c>.
/// Parameters: <see cref="Criteria"/>, <see cref="ApplicationDescription"/>. The answer is the
/// instruction; a leading label (<c>Instruction:</c>) and enclosing quotation marks are removed,
/// and an empty answer gives null.
/// </remarks>
[Task("instruction_generator")]
[UserPrompt("""
Write one new instruction that a user could give to {{ application_description }}.
{{ if topic }}Subject: {{ topic }}
{{ end }}{{ if difficulty }}Difficulty: {{ difficulty }}
{{ end }}{{ if persona }}Write it in the words of this user: {{ persona }}
{{ end }}
{{ criteria }}

Reply with the instruction alone: no title, no quotation marks, and no answer to it.
""")]
public sealed partial class InstructionGenerator : LlmTask<InstructionGenerator.Input, InstructionGenerator.Output>
{
    /// <summary>The seed of one instruction; every part is optional.</summary>
    public sealed record Input(string? Topic = null, string? Difficulty = null, string? Persona = null);

    /// <summary>The new instruction.</summary>
    public sealed record Output([property: Description("The new instruction, alone.")] string? Instruction);

    /// <summary>What makes a good instruction (default: self-contained, specific, answerable in text).</summary>
    [TemplateParameter]
    public string Criteria { get; init; } =
        "It must make sense on its own, ask for something specific, and be answerable in text by a capable assistant.";

    /// <summary>Who receives the instruction (default: a general AI assistant).</summary>
    [TemplateParameter]
    public string ApplicationDescription { get; init; } = "a general AI assistant";

    static Output ParseOutput(string text, Input input)
    {
        var instruction = Label().Replace(text.Trim(), "").Trim();
        if (instruction.Length >= 2 && instruction[0] is '"' or '“' && instruction[^1] is '"' or '”') instruction = instruction[1..^1].Trim();
        return new Output(instruction.Length == 0 ? null : instruction);
    }

    [GeneratedRegex(@"^\**\s*(new\s+)?instruction\s*\**\s*:\s*\**", RegexOptions.IgnoreCase)]
    private static partial Regex Label();
}
