using System.Diagnostics;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Distil.Testing;
using Distil.Tests.Providers;
using Distil.Tests.Support;
using NUnit.Framework;

namespace Distil.Tests.Cli;

/// <summary>
/// Conditional task steps and branches in a pipeline file, through the real <c>distil</c> process:
/// only passing rows are asked, a killed run resumes to the dataset of an uninterrupted one without
/// asking again what it paid for, branches split the rows, and a bad condition is refused.
/// </summary>
public class ConditionalPipelineFileTests : FakeServerTests
{
    private const int Rows = 1500;
    private static readonly Regex QuestionNumber = new(@"Question (\d+):", RegexOptions.Compiled);

    private TempFolder _temp = null!;

    [SetUp]
    public void CreateWorkFolder() => _temp = new TempFolder("distil-conditional-file-");

    [TearDown]
    public void DeleteWorkFolder() => _temp.Dispose();

    private static string Language(int i) => (i % 3) switch { 0 => "en", 1 => "fr", _ => "de" };

    private static int RowOf(FakeRequest request) => int.Parse(QuestionNumber.Match(request.LastMessage).Groups[1].Value);

    private string Model => $"endpoint:{Server.BaseUrl}#fake-model";

    // A folder with the questions and the pipeline file: answer English and French rows, and route
    // every row to one of two branches.
    private string PipelineIn(string folder, string when = """{ "column": "language", "in": ["en", "fr"] }""")
    {
        var directory = Path.Combine(_temp.Path, folder);
        Directory.CreateDirectory(directory);
        File.WriteAllLines(Path.Combine(directory, "questions.jsonl"), Enumerable.Range(0, Rows).Select(i =>
            new JsonObject { ["id"] = i, ["language"] = Language(i), ["instruction"] = $"Question {i}: why?" }.ToJsonString()));
        var path = Path.Combine(directory, "pipeline.json");
        File.WriteAllText(path, $$"""
            {
              "name": "conditional",
              "steps": [
                { "name": "questions", "load": "questions.jsonl" },
                { "name": "answer", "task": "text_generation", "after": "questions", "concurrency": 8,
                  "when": {{when}} },
                { "name": "out", "write": "answers.jsonl", "after": "answer" },
                { "name": "english", "after": "questions", "branch": { "when": { "column": "language", "equals": "en" } } },
                { "name": "others", "after": "questions", "branch": { "otherwise": true } },
                { "name": "english_out", "write": "english.jsonl", "after": "english" },
                { "name": "others_out", "write": "others.jsonl", "after": "others" }
              ]
            }
            """);
        return path;
    }

    private string[] Run(string file) => ["run", "--pipeline", file, "--model", Model, "--run-dir", Path.Combine(Path.GetDirectoryName(file)!, "run")];

    private static List<JsonObject> Lines(string path) => File.ReadAllLines(path).Select(l => JsonNode.Parse(l)!.AsObject()).ToList();

    [Test]
    public async Task A_killed_conditional_run_resumes_to_the_uninterrupted_dataset_without_asking_again_what_it_paid_for()
    {
        Server.Reply = FakeReplies.Answering(r => "answer to " + QuestionNumber.Match(r.LastMessage).Value).WithLatency(TimeSpan.FromMilliseconds(10));
        var passing = Enumerable.Range(0, Rows).Where(i => Language(i) != "de").ToList();

        var uninterrupted = PipelineIn("a");
        var (exitCode, error) = await ChildProgram.Distil.RunAsync(Run(uninterrupted));
        Assert.That(exitCode, Is.Zero, error);
        Assert.That(Server.Requests.Select(RowOf), Is.EquivalentTo(passing), "only passing rows are asked, once each");
        Server.ResetStatistics();

        var file = PipelineIn("b");
        var store = Path.Combine(_temp.Path, "b", "run", "distil-run.db");
        using (var child = ChildProgram.Distil.Start(Run(file)))
        {
            var clock = Stopwatch.StartNew();
            while (Server.RequestCount < 300)
            {
                if (child.HasExited) Assert.Fail($"distil run ended before it could be killed ({child.Process.ExitCode}): {child.Error}");
                Assert.That(clock.Elapsed, Is.LessThan(TimeSpan.FromSeconds(90)), "distil run asked too little");
                await Task.Delay(10);
            }
            await child.KillAsync(); // SIGKILL: no cleanup, no flush
        }
        var committed = RunStore.StoredKeys(store, "answer").Select(int.Parse).ToHashSet();
        var paidFor = committed.Where(passing.Contains).ToHashSet();
        Assert.That(paidFor.Count, Is.InRange(250, passing.Count - 1), "killed mid-way, with answers committed");
        Assert.That(Server.Requests.Select(RowOf).Where(i => Language(i) == "de"), Is.Empty, "no skipped row was asked before the kill");
        var resumedFrom = Server.RequestCount;

        (exitCode, error) = await ChildProgram.Distil.RunAsync(Run(file));

        Assert.That(exitCode, Is.Zero, error);
        var askedAfter = Server.Requests.Where(r => r.Index >= resumedFrom).Select(RowOf).ToList();
        Assert.That(askedAfter.Where(paidFor.Contains), Is.Empty, "no second request for a committed answer");
        Assert.That(askedAfter.Where(i => Language(i) == "de"), Is.Empty, "skipped rows are never asked");
        Assert.That(askedAfter.Distinct().Count(), Is.EqualTo(askedAfter.Count));
        foreach (var name in new[] { "answers.jsonl", "english.jsonl", "others.jsonl" })
        {
            Assert.That(File.ReadAllLines(Path.Combine(_temp.Path, "b", name)), Is.EqualTo(File.ReadAllLines(Path.Combine(_temp.Path, "a", name))), $"{name}: the same as an uninterrupted run");
        }
        var answers = Lines(Path.Combine(_temp.Path, "b", "answers.jsonl"));
        Assert.That(answers.Select(r => (int)r["id"]!), Is.EqualTo(Enumerable.Range(0, Rows)), "every row exactly once, in order");
        foreach (var row in answers.Where(r => (string?)r["language"] == "de"))
        {
            Assert.That(row["generation"], Is.Null);
            Assert.That((string?)row["distilabel_metadata"]!["skipped_answer"], Is.EqualTo("the row did not pass the step's condition: language in [\"en\",\"fr\"]"));
        }
        Assert.That(answers.Where(r => (string?)r["language"] != "de").Select(r => (string?)r["generation"]), Has.All.StartWith("answer to Question "));
        // Branches: each row in exactly one.
        var english = Lines(Path.Combine(_temp.Path, "b", "english.jsonl")).Select(r => (int)r["id"]!).ToList();
        var others = Lines(Path.Combine(_temp.Path, "b", "others.jsonl")).Select(r => (int)r["id"]!).ToList();
        Assert.That(english, Is.EqualTo(Enumerable.Range(0, Rows).Where(i => Language(i) == "en")));
        Assert.That(others, Is.EqualTo(Enumerable.Range(0, Rows).Where(i => Language(i) != "en")));
    }

    [Test]
    public async Task A_conditional_run_says_how_many_rows_the_condition_skipped_and_raises_no_alarm()
    {
        Server.Reply = FakeReplies.Answering(r => "answer to " + QuestionNumber.Match(r.LastMessage).Value);
        var file = PipelineIn("summary", """{ "column": "language", "equals": "en" }""");

        using var child = ChildProgram.Distil.Start(Run(file));
        await child.Process.WaitForExitAsync();

        var printed = child.Output + child.Error;
        Assert.That(child.Process.ExitCode, Is.Zero, printed);
        Assert.That(Server.RequestCount, Is.EqualTo(Rows / 3));
        Assert.That(printed, Does.Contain($"answer: {Rows - Rows / 3:N0} rows skipped by the condition."));
        Assert.That(printed, Does.Not.Contain("warning:"));
        Assert.That(printed, Does.Not.Contain("failed rows"));
    }

    [TestCase("""{ "column": "language", "equal": "en" }""", "no key \"equal\"; did you mean \"equals\"?")]
    [TestCase("""{ "column": "language", "equals": "en", "in": ["fr"] }""", "step 'answer': \"when\": a condition takes exactly one operator; it has equals, in; write column plus one of equals, not_equals, in, not_in, is_null")]
    public async Task A_bad_condition_is_refused_before_any_call(string when, string message)
    {
        var file = PipelineIn("bad", when);

        var (exitCode, error) = await ChildProgram.Distil.RunAsync(Run(file));

        Assert.That(exitCode, Is.EqualTo(2), error);
        Assert.That(error, Does.Contain(message));
        Assert.That(Server.RequestCount, Is.Zero);
    }
}
