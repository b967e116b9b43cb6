using System.Text.Json.Nodes;
using CsCheck;
using Distil.Tasks;
using Distil.Testing;
using Microsoft.Extensions.AI;
using NUnit.Framework;

namespace Distil.Tests.Properties;

/// <summary>
/// Contracts every user depends on, checked on random inputs (CsCheck shrinks a failure to a
/// small example): parsing never throws, and a run over any rows either finishes or stops with a
/// <see cref="RowValueException"/> that names the row and the column.
/// </summary>
public class TaskContractProperties
{
    private static IEnumerable<string> Tasks => BuiltInTasks.Names;

    // Answers of every kind a model (or a proxy) sends back: free text, control characters, the
    // formats the tasks read cut off anywhere, JSON of the wrong shape, and very long text.
    private static readonly Gen<string> Answers = Gen.OneOf(
        Gen.String,
        Gen.Char[(char)0, (char)0x1f].Array[0, 40].Select(c => new string(c)),
        Gen.Select(Gen.OneOf(
                Gen.Const("{\"scores\": [4, 2.5, null], \"rationale\": \"fine\"}"),
                Gen.Const("[1] Score: 4\n[2] Score: 2\nRationale: ok"),
                Gen.Const("Feedback: Good. [RESULT] 4"),
                Gen.Const("{\"labels\": [\"a\", \"b\"], \"rating\": 3, \"nested\": {\"x\": [1, {\"y\": null}]}}"),
                Gen.Const("1. Why?\n2. How?\n[[[Assistant]]]\nBecause.\nScore: 5"),
                Gen.Const("Rewritten Instruction: Explain recursion.\n#Rewritten Prompt#: more")),
            Gen.Double[0, 1], (text, cut) => text[..(int)(text.Length * cut)]),
        Gen.Const("{\"scores\": \"not a list\", \"labels\": 7, \"result\": [\"x\"], \"generation\": {}}"),
        Gen.Const("[" + string.Concat(Enumerable.Repeat("{\"a\":[", 2000))),
        Gen.Char.Array[0, 64].Select(c => new string(c)).Select(s => string.Concat(Enumerable.Repeat(s + "\n", 3000))));

    [TestCaseSource(nameof(Tasks))]
    public void FormatOutput_never_throws_on_any_answer(string name)
    {
        var task = BuiltInTasks.Create(name);
        // FormatOutput is typed by the task's records: reach it through a generic helper.
        var records = task.GetType();
        while (!(records.IsGenericType && records.GetGenericTypeDefinition() == typeof(LlmTask<,>))) records = records.BaseType!;
        var check = typeof(TaskContractProperties).GetMethod(nameof(CheckFormatOutput), System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Static)!
            .MakeGenericMethod(records.GetGenericArguments());
        check.Invoke(null, [task]);
    }

    private static void CheckFormatOutput<TInput, TOutput>(LlmTask<TInput, TOutput> task)
        where TInput : class
        where TOutput : class
    {
        var input = task.PlaceholderInput();
        Answers.Sample(text => Assert.DoesNotThrow(() => task.FormatOutput(text, input), $"task '{task.Name}' on {Show(text)}"),
            iter: 300, threads: 1, print: Show);
    }

    // A JSON value of any kind, for a column that may hold anything at all.
    private static readonly Gen<JsonNode?> Values = Gen.Recursive<JsonNode?>((depth, self) => depth >= 2
        ? Gen.OneOf<JsonNode?>(Gen.String.Select(s => (JsonNode?)s), Gen.Int.Select(i => (JsonNode?)i), Gen.Const((JsonNode?)null))
        : Gen.OneOf<JsonNode?>(
            Gen.String.Select(s => (JsonNode?)s),
            Gen.Int.Select(i => (JsonNode?)i),
            Gen.Double.Select(d => double.IsFinite(d) ? (JsonNode?)d : 0.5),
            Gen.Bool.Select(b => (JsonNode?)b),
            Gen.Const((JsonNode?)null),
            self.Array[0, 4].Select(items => (JsonNode?)new JsonArray(items)),
            Gen.String.Array[0, 4].Select(items => (JsonNode?)new JsonArray(items.Select(s => (JsonNode?)s).ToArray())),
            Gen.Select(Gen.String, self, (key, value) => (JsonNode?)new JsonObject { [key] = value })));

    [TestCaseSource(nameof(Tasks))]
    public void A_run_over_random_rows_finishes_or_names_the_row_and_column_it_cannot_read(string name)
    {
        var probe = BuiltInTasks.Create(name);
        var columns = probe.Inputs.ToArray();
        // Each column present or missing, holding any value; some rows valid, most not.
        var rows = Gen.Select(Gen.Bool.Array[columns.Length], Values.Array[columns.Length], (present, values) =>
        {
            var row = new JsonObject();
            for (var i = 0; i < columns.Length; i++) if (present[i]) row[columns[i]] = values[i];
            return row;
        }).Array[1, 4];

        Gen.Select(rows, Answers).Sample((inputs, answer) =>
        {
            var task = BuiltInTasks.Create(name);
            task.Llm = new TemplateContinuingClient(new ScriptedChatClient(_ => ScriptedChatClient.Answer(answer, 3, 5)));
            try
            {
                var outputs = task.ProcessAsync(inputs.Select(r => (JsonObject)r.DeepClone())).ToBlockingList();
                Assert.That(outputs, Has.Count.GreaterThanOrEqualTo(inputs.Length), "a finished run keeps every row");
            }
            catch (RowValueException error)
            {
                Assert.That(error.Message, Does.Match(@"cannot read input row \d+"), "the row is named");
                Assert.That(columns.Any(c => error.InnerException!.Message.Contains($"'{c}'", StringComparison.Ordinal)), error.Message + " names a column");
            }
        }, iter: 60, threads: 1, print: t => string.Join(" ", t.Item1.Select(r => r.ToJsonString())) + " / " + Show(t.Item2));
    }

    private static string Show(string text) => text.Length > 200 ? $"{text[..200]}... ({text.Length} chars)" : text;
}

/// <summary>A scripted client that says it continues its own chat template, so that Magpie runs on it too.</summary>
internal sealed class TemplateContinuingClient(IChatClient inner) : DelegatingChatClient(inner), ISupportsPreQueryTemplate;

internal static class AsyncEnumerableExtensions
{
    public static List<T> ToBlockingList<T>(this IAsyncEnumerable<T> items) => Task.Run(async () =>
    {
        var list = new List<T>();
        await foreach (var item in items) list.Add(item);
        return list;
    }).GetAwaiter().GetResult();
}
