using System.Text;
using System.Text.Json;
using Microsoft.Extensions.AI;

namespace Distil.Benchmarks;

/// <summary>
/// What a careful engineer writes by hand for the same task: a StringBuilder prompt and a
/// JsonDocument read of the answer. The baseline the generated code is measured against.
/// </summary>
public static class HandWrittenScorer
{
    public static IReadOnlyList<ChatMessage> FormatInput(ThreeResponseScorer.Input input, string aspect)
    {
        var user = new StringBuilder(512);
        user.Append("# Instruction\n").Append(input.Instruction).Append("\n\n# Responses\n");
        for (var i = 0; i < input.Responses.Count; i++)
        {
            user.Append("\n## Response ").Append(i + 1).Append('\n').Append(input.Responses[i]).Append('\n');
        }
        user.Append("\nRate each response from 1 to 5 for ").Append(aspect)
            .Append(" and explain your ratings.\nAnswer as JSON: {\"ratings\": [..], \"rationale\": \"...\"}\n");
        return
        [
            new ChatMessage(ChatRole.System, "You are a fair and consistent judge of answers."),
            new ChatMessage(ChatRole.User, user.ToString()),
        ];
    }

    public static ThreeResponseScorer.Output? FormatOutput(string text)
    {
        try
        {
            using var document = JsonDocument.Parse(text);
            var root = document.RootElement;
            var ratings = new List<int>();
            foreach (var rating in root.GetProperty("ratings").EnumerateArray()) ratings.Add(rating.GetInt32());
            return new ThreeResponseScorer.Output(ratings, root.GetProperty("rationale").GetString()!);
        }
        catch (Exception exception) when (exception is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            return null;
        }
    }
}
