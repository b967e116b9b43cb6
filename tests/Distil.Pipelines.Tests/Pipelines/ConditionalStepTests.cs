using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Distil.Pipelines;
using Distil.Tasks;
using Distil.Testing;
using Distil.Tests.Providers;
using Distil.Tests.Support;
using NUnit.Framework;

namespace Distil.Tests.Pipelines;

/// <summary>
/// A task step with a condition asks the LLM only for the rows that pass; the others go on with null
/// outputs and the reason in the metadata, are neither failed nor unreadable, and are counted. Routing
/// sends each row to exactly one branch.
/// </summary>
public class ConditionalStepTests : FakeServerTests
{
    private const int Rows = 12;

    private TempFolder _temp = null!;

    [SetUp]
    public void CreateRunFolder() => _temp = new TempFolder("distil-conditional-");

    [TearDown]
    public void DeleteRunFolder() => _temp.Dispose();

    private static PipelineRunOptions Quiet => new() { Progress = ProgressMode.None };

    private static int RowOf(FakeRequest request) => int.Parse(Regex.Match(request.LastMessage, @"question (\d+)").Groups[1].Value);

    // Every third row is in English; the others in French or German.
    private static string Language(int i) => (i % 3) switch { 0 => "en", 1 => "fr", _ => "de" };

    private static IEnumerable<JsonObject> Questions() =>
        Enumerable.Range(0, Rows).Select(i => new JsonObject { ["id"] = i, ["language"] = Language(i), ["instruction"] = $"question {i}" });

    private Pipeline Build(RowCondition when, string name = "conditional")
    {
        var pipeline = Pipeline.Create(name);
        pipeline.RunDirectory = _temp.Path;
        pipeline.Load(Questions())
            .Then(new TextGeneration { Name = "answer", Llm = FakeServerClients.OpenAI(Server), MaxConcurrency = 4 }, when);
        return pipeline;
    }

    private List<FakeRequest> RequestsSince(int first) => Server.Requests.Where(r => r.Index >= first).ToList();

    [Test]
    public async Task Only_rows_that_pass_are_asked_and_the_others_keep_null_outputs_and_the_reason()
    {
        Server.Reply = FakeReplies.Answering(r => "re " + r.LastMessage);

        var result = await Build(RowCondition.Equal("language", "en")).RunAsync(Quiet);

        var english = Enumerable.Range(0, Rows).Where(i => Language(i) == "en").ToList();
        Assert.That(Server.Requests.Select(RowOf), Is.EquivalentTo(english), "the LLM is asked for the passing rows only, once each");
        var rows = await result.Dataset.ToListAsync();
        Assert.That(rows.Select(r => (int)r["id"]!), Is.EqualTo(Enumerable.Range(0, Rows)), "every row goes on, in order");
        foreach (var row in rows)
        {
            var metadata = row["distilabel_metadata"]!.AsObject();
            if ((string?)row["language"] == "en")
            {
                Assert.That((string?)row["generation"], Does.StartWith("re "), row.ToJsonString());
                Assert.That(metadata.ContainsKey("skipped_answer"), Is.False, row.ToJsonString());
                continue;
            }
            Assert.That(row["generation"], Is.Null, row.ToJsonString());
            Assert.That(row["model_name"], Is.Null, row.ToJsonString());
            Assert.That((string?)metadata["skipped_answer"], Is.EqualTo("the row did not pass the step's condition: language equals \"en\""));
            Assert.That(metadata.Any(p => p.Key.StartsWith("error_", StringComparison.Ordinal)), Is.False, "a skipped row is not a failed row");
        }
        var statistics = result.Tasks["answer"];
        Assert.That(statistics.SkippedRows, Is.EqualTo(Rows - english.Count));
        Assert.That((statistics.Calls, statistics.FailedCalls, statistics.UnfitAnswers), Is.EqualTo(((long)english.Count, 0L, 0L)));
        Assert.That(result.Alarms, Is.Empty, "skipped rows are not useless answers");

        var rerunFrom = Server.RequestCount;
        var rerun = await Build(RowCondition.Equal("language", "en")).RunAsync(Quiet);
        Assert.That(RequestsSince(rerunFrom), Is.Empty, "a rerun asks nothing: skipped rows are not failed rows to retry");
        Assert.That(rerun.Tasks["answer"].RetriedRows, Is.Zero);
        Assert.That((await rerun.Dataset.ToListAsync()).Select(r => r.ToJsonString()), Is.EqualTo(rows.Select(r => r.ToJsonString())));
    }

    [Test]
    public async Task A_function_condition_skips_the_rows_it_rejects_and_checks_its_columns_before_the_run()
    {
        Server.Reply = FakeReplies.Answering(r => "re " + r.LastMessage);
        var pipeline = Pipeline.Create("function");
        pipeline.RunDirectory = _temp.Path;
        pipeline.Load(Questions())
            .Then(new TextGeneration { Name = "answer", Llm = FakeServerClients.OpenAI(Server) }, when: row => (int)row["id"]! < 5, reads: ["id"]);

        var result = await pipeline.RunAsync(Quiet);

        Assert.That(Server.Requests.Select(RowOf), Is.EquivalentTo(Enumerable.Range(0, 5)));
        Assert.That(result.Tasks["answer"].SkippedRows, Is.EqualTo(Rows - 5));

        var missing = Pipeline.Create("missing");
        missing.RunDirectory = Path.Combine(_temp.Path, "missing");
        missing.Load(Questions()).Then(new TextGeneration { Name = "answer", Llm = FakeServerClients.OpenAI(Server) }, when: row => row["lang"] is not null, reads: ["lang"]);
        var error = Assert.ThrowsAsync<PipelineException>(async () => await missing.RunAsync(Quiet))!;
        Assert.That(error.Message, Does.Contain("lang"));
    }

    [Test]
    public async Task The_estimate_counts_calls_for_the_passing_rows_only()
    {
        var estimate = await Build(RowCondition.Equal("language", "en")).EstimateAsync();

        var task = estimate.Tasks.Single();
        Assert.That((task.Rows, task.Calls), Is.EqualTo(((long?)Rows, (long?)(Rows / 3))));
        Assert.That(Server.RequestCount, Is.Zero);
    }

    [Test]
    public async Task A_changed_condition_runs_the_step_again_but_asks_only_rows_never_asked()
    {
        Server.Reply = FakeReplies.Answering(r => "re " + r.LastMessage);
        await Build(RowCondition.Equal("language", "en")).RunAsync(Quiet);
        var askedBefore = Server.Requests.Select(RowOf).ToHashSet();

        var rerunFrom = Server.RequestCount;
        var widened = RowCondition.FromJson(new JsonObject { ["column"] = "language", ["in"] = new JsonArray("en", "fr") });
        var result = await Build(widened).RunAsync(Quiet);

        var french = Enumerable.Range(0, Rows).Where(i => Language(i) == "fr");
        Assert.That(RequestsSince(rerunFrom).Select(RowOf), Is.EquivalentTo(french), "the English answers come from the run directory, not the service");
        var rows = await result.Dataset.ToListAsync();
        Assert.That(rows.Where(r => (string?)r["language"] is "en" or "fr").Select(r => (string?)r["generation"]), Has.All.StartWith("re "));
        Assert.That(rows.Where(r => (string?)r["language"] == "de").Select(r => (string?)r["distilabel_metadata"]!["skipped_answer"]),
            Has.All.EqualTo("the row did not pass the step's condition: language in [\"en\",\"fr\"]"));
        Assert.That(askedBefore.Count, Is.EqualTo(Rows / 3));
    }

    [Test]
    public async Task Split_and_route_send_each_row_to_exactly_one_branch()
    {
        var pipeline = Pipeline.Create("routes");
        pipeline.RunDirectory = _temp.Path;
        var questions = pipeline.Load(Questions());
        var (english, others) = questions.Split(RowCondition.Equal("language", "en"), "english");
        english.KeepColumns("id");
        others.KeepColumns("id");
        // The branches after one step form one route: a second route starts from a step of its own.
        var routed = pipeline.Load(Questions(), "again").Route([("fr", RowCondition.Equal("language", "fr")), ("not_en", RowCondition.FromJson(new JsonObject { ["column"] = "language", ["not_equals"] = "en" }))], otherwise: "rest");

        var result = await pipeline.RunAsync(Quiet);

        async Task<List<int>> Ids(string step) => (await result.Datasets[step].ToListAsync()).Select(r => (int)r["id"]!).ToList();
        var all = Enumerable.Range(0, Rows).ToList();
        Assert.That(await Ids("keep_columns"), Is.EqualTo(all.Where(i => Language(i) == "en")));
        Assert.That(await Ids("keep_columns_2"), Is.EqualTo(all.Where(i => Language(i) != "en")));
        Assert.That(await Ids("fr"), Is.EqualTo(all.Where(i => Language(i) == "fr")));
        Assert.That(await Ids("not_en"), Is.EqualTo(all.Where(i => Language(i) == "de")), "first match wins: French rows went to 'fr'");
        Assert.That(await Ids("rest"), Is.EqualTo(all.Where(i => Language(i) == "en")));
        Assert.That(routed.Keys, Is.EqualTo(new[] { "fr", "not_en", "rest" }));

        var error = Assert.Throws<ArgumentException>(() => questions.Branch(RowCondition.Equal("language", "de"), "late"))!;
        Assert.That(error.Message, Does.Contain("has an otherwise branch already ('english_other')"));
    }

    [TestCase("""{"column": "language", "equal": "en"}""", "a condition has no operator 'equal' (did you mean 'equals'?); write column plus one of equals, not_equals, in, not_in, is_null")]
    [TestCase("""{"column": "language"}""", "a condition takes exactly one operator; it has none; write column plus one of equals, not_equals, in, not_in, is_null")]
    [TestCase("""{"column": "language", "equals": "en", "in": ["fr"]}""", "a condition takes exactly one operator; it has equals, in")]
    [TestCase("""{"equals": "en"}""", "a condition needs \"column\"")]
    [TestCase("""{"column": "language", "in": "en"}""", "\"in\" must be a list of values")]
    public void A_bad_file_condition_is_an_error_naming_the_allowed_operators(string json, string message)
    {
        var error = Assert.Throws<ArgumentException>(() => RowCondition.FromJson(JsonNode.Parse(json)!.AsObject()))!;
        Assert.That(error.Message, Does.StartWith(message));
    }

    [Test]
    public void File_conditions_compare_json_values_and_treat_a_missing_column_as_null()
    {
        bool Passes(string json, JsonObject row) => RowCondition.FromJson(JsonNode.Parse(json)!.AsObject()).Passes(row);
        var row = new JsonObject { ["n"] = 1, ["s"] = "1" };
        Assert.That(Passes("""{"column": "n", "equals": 1}""", row), Is.True);
        Assert.That(Passes("""{"column": "s", "equals": 1}""", row), Is.False, "1 is not \"1\"");
        Assert.That(Passes("""{"column": "n", "not_in": [2, 3]}""", row), Is.True);
        Assert.That(Passes("""{"column": "missing", "is_null": true}""", row), Is.True);
        Assert.That(Passes("""{"column": "n", "is_null": true}""", row), Is.False);
    }
}
