using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Distil.Testing;

/// <summary>
/// Renders what a task will ask the model, for review: its messages for one input, and
/// optionally the JSON schema and GBNF grammar of its structured output, as a readable text
/// snapshot (<see cref="Snapshot"/>). A change of template, parameter or record then shows up as
/// a diff in the test, before any call is paid for.
/// </summary>
/// <example>
/// <code>
/// [Test]
/// public void Prompt() => PromptSnapshot.Verify(new SentimentTask(), new SentimentTask.Input("email", "Where is my parcel?"));
/// </code>
/// </example>
public static class PromptSnapshot
{
    private static readonly JsonSerializerOptions Indented = new()
    {
        WriteIndented = true,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <summary>Compares the rendering of <paramref name="task"/> for <paramref name="input"/> with the calling test's snapshot.</summary>
    /// <param name="task">The task, configured as it will run (its parameters shape the prompt).</param>
    /// <param name="input">The input to render; null for the task's placeholder input.</param>
    /// <param name="includeSchema">Also render the output's JSON schema.</param>
    /// <param name="includeGrammar">Also render the output's GBNF grammar.</param>
    /// <param name="name">Overrides the test's name in the file name (one snapshot per case).</param>
    /// <param name="testFile">Filled in by the compiler.</param>
    /// <param name="testName">Filled in by the compiler.</param>
    /// <exception cref="SnapshotMismatchException">The rendering differs from the verified file, or there is none yet.</exception>
    public static void Verify<TInput, TOutput>(
        LlmTask<TInput, TOutput> task, TInput? input = null, bool includeSchema = false, bool includeGrammar = false,
        string? name = null, [CallerFilePath] string testFile = "", [CallerMemberName] string testName = "")
        where TInput : class
        where TOutput : class =>
        Snapshot.Verify(Render(task, input, includeSchema, includeGrammar), name, directory: null, testFile, testName);

    /// <summary>The text <see cref="Verify"/> compares: a header, then one section per message, schema and grammar.</summary>
    public static string Render<TInput, TOutput>(
        LlmTask<TInput, TOutput> task, TInput? input = null, bool includeSchema = false, bool includeGrammar = false)
        where TInput : class
        where TOutput : class
    {
        ArgumentNullException.ThrowIfNull(task);
        var text = new StringBuilder();
        text.Append("task: ").Append(task.Name).Append(" (").Append(task.GetType().Name).Append(")\n");
        text.Append("inputs: ").Append(string.Join(", ", task.Inputs)).Append('\n');
        text.Append("outputs: ").Append(string.Join(", ", task.Outputs)).Append('\n');
        foreach (var message in task.FormatInput(input ?? task.PlaceholderInput()))
        {
            Section(text, message.Role.Value, message.Text);
        }
        if (includeSchema)
        {
            Section(text, "json schema", JsonNode.Parse(task.StructuredOutputSchema)!.ToJsonString(Indented));
        }
        if (includeGrammar) Section(text, "gbnf grammar", task.StructuredOutputGrammar);
        return text.ToString();
    }

    private static void Section(StringBuilder text, string title, string body)
    {
        text.Append("\n=== ").Append(title).Append(" ===\n").Append(body);
        if (!body.EndsWith('\n')) text.Append('\n');
    }
}
