using System.ComponentModel.DataAnnotations;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Distil.Testing;

namespace Distil.Tests.Providers;

/// <summary>A task whose answer names the row it answers, so that a test can tell misaligned rows.</summary>
[Task("echo")]
[UserPrompt("Item {{ id }}: {{ text }}")]
public sealed partial class EchoTask : LlmTask<EchoTask.Input, EchoTask.Output>
{
    public sealed record Input(int Id, string Text);

    public sealed record Output([property: MaxLength(40)] string Echo);

    public static JsonObject Row(int id) => new() { ["id"] = id, ["text"] = $"text of {id}" };

    public static IEnumerable<JsonObject> Rows(int count) => Enumerable.Range(0, count).Select(Row);

    /// <summary>The fake server's answer: the item number of the prompt, as the task's JSON.</summary>
    public static string Answer(FakeRequest request) =>
        $"{{\"echo\":\"{Regex.Match(request.LastMessage, @"Item (\d+)").Groups[1].Value}\"}}";
}
