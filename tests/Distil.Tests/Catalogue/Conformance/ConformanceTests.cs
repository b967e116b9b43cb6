using System.Runtime.CompilerServices;
using System.Text.Json.Nodes;
using Distil.Tasks;
using Distil.Testing;
using NUnit.Framework;

namespace Distil.Tests.Catalogue.Conformance;

/// <summary>
/// Every built-in task against the vectors of <c>vectors.json</c>: the facts of distilabel's own
/// tests for that task (inputs, answers, expected output columns), in text and structured mode,
/// with readable, partial and unreadable answers. Each vector is read twice: by
/// <see cref="LlmTask.ParseRow"/> (what <c>distil parse</c> shows), and by a scripted run that
/// may re-ask once, where an unreadable answer (and only one) is asked again and then kept in
/// distilabel's shape.
/// </summary>
public class ConformanceTests
{
    private static readonly string[] Kinds = ["readable", "partial", "unreadable"];

    public static IEnumerable<TestCaseData> Vectors()
    {
        var file = JsonNode.Parse(File.ReadAllText(VectorsPath()))!["vectors"]!.AsArray();
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var node in file)
        {
            var vector = node!.AsObject();
            var name = $"{vector["task"]}{Parameters(vector).Aggregate("", (a, p) => a + " " + p)}{(Structured(vector) ? " structured" : "")} {vector["kind"]}: {vector["fact"]}";
            for (var n = 2; !names.Add(name); n++) name = $"{name} ({n})";
            yield return new TestCaseData(vector).SetName(name.Replace('.', '_').Replace('(', '[').Replace(')', ']'));
        }
    }

    [Test]
    public void Every_built_in_task_has_vectors_of_a_readable_and_an_unreadable_answer()
    {
        var vectors = Vectors().Select(v => (JsonObject)v.Arguments[0]!).ToList();

        Assert.That(vectors.Select(v => (string?)v["kind"]).Distinct(), Is.SubsetOf(Kinds));
        foreach (var task in BuiltInTasks.Names)
        {
            var kinds = vectors.Where(v => (string?)v["task"] == task).Select(v => (string?)v["kind"]).ToHashSet();
            Assert.That(kinds, Does.Contain("readable").And.Contain("unreadable"), task);
        }
    }

    [TestCaseSource(nameof(Vectors))]
    public void ParseRow_gives_the_expected_columns(JsonObject vector)
    {
        var task = Task(vector);

        var columns = task.ParseRow((string)vector["answer"]!, Row(vector));

        AssertColumns(columns, vector);
    }

    // Magpie's prompt is a local model's chat template, which a scripted client has not: MagpieTests runs it.
    public static IEnumerable<TestCaseData> RunVectors() =>
        Vectors().Where(v => (string?)((JsonObject)v.Arguments[0]!)["task"] != "magpie");

    [TestCaseSource(nameof(RunVectors))]
    public async Task A_run_gives_the_expected_columns_and_re_asks_exactly_the_unreadable_answers(JsonObject vector)
    {
        var task = Task(vector);
        var answer = (string)vector["answer"]!;
        var script = new ScriptedChatClient(_ => ScriptedChatClient.Answer(answer));
        task.Llm = script;
        task.Reasks = 1;

        var row = (await task.ProcessAsync([Row(vector)]).ToListAsync()).Single();

        AssertColumns(new JsonObject(task.Outputs.Select(c => KeyValuePair.Create(c, row[c]?.DeepClone()))), vector);
        var unreadable = (string?)vector["kind"] == "unreadable";
        var metadata = row[LlmTask.DefaultMetadataColumn]!;
        if (task.MakesDependentCalls)
        {
            // Tasks of several dependent calls are not re-asked; their answers are read all the same.
            Assert.That(script.Requests, Has.Count.EqualTo(1));
            return;
        }
        Assert.That(script.Requests, Has.Count.EqualTo(unreadable ? 2 : 1), unreadable ? "one re-ask" : "no re-ask");
        Assert.That((int?)metadata[$"reasks_{task.Name}"], Is.EqualTo(unreadable ? 1 : 0));
    }

    private static void AssertColumns(JsonObject columns, JsonObject vector)
    {
        var expected = vector["expect"]!.AsObject();
        Assert.That(columns.Select(c => c.Key), Is.EquivalentTo(expected.Select(c => c.Key)), "the task's output columns");
        foreach (var (column, value) in expected)
        {
            Assert.That(JsonNode.DeepEquals(columns[column], value), Is.True,
                $"column '{column}': expected {value?.ToJsonString() ?? "null"}, got {columns[column]?.ToJsonString() ?? "null"}");
        }
    }

    private static LlmTask Task(JsonObject vector)
    {
        var task = BuiltInTasks.Create((string)vector["task"]!, Parameters(vector));
        if (Structured(vector)) task.UseDefaultStructuredOutput = true;
        return task;
    }

    private static JsonObject Row(JsonObject vector) => vector["row"]!.DeepClone().AsObject();

    private static IEnumerable<string> Parameters(JsonObject vector) =>
        vector["params"] is JsonArray list ? list.Select(p => (string)p!) : [];

    private static bool Structured(JsonObject vector) => (bool?)vector["structured"] ?? false;

    private static string VectorsPath([CallerFilePath] string here = "") => Path.Combine(Path.GetDirectoryName(here)!, "vectors.json");
}
