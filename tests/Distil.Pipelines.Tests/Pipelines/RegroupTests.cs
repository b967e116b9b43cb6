using System.Diagnostics;
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
/// Fan out and regroup: a one-answer grader runs once per generation, and its ratings come back as a
/// list on the question's row, aligned with the generations, whatever order the answers finish in,
/// with a null where an item was dropped, and the same after a killed run resumes.
/// </summary>
public class RegroupTests : FakeServerTests
{
    private TempFolder _temp = null!;

    [SetUp]
    public void CreateWorkFolder() => _temp = new TempFolder("distil-regroup-");

    [TearDown]
    public void DeleteWorkFolder() => _temp.Dispose();

    private static PipelineRunOptions Quiet => new() { Progress = ProgressMode.None };

    private static readonly Regex Answer = new(@"answer (\d) to question (\d+)", RegexOptions.Compiled);

    private Pipeline NewPipeline(string name)
    {
        var pipeline = Pipeline.Create(name);
        pipeline.RunDirectory = Path.Combine(_temp.Path, name);
        return pipeline;
    }

    private static IEnumerable<JsonObject> Questions(int count) =>
        Enumerable.Range(0, count).Select(i => new JsonObject { ["id"] = i, ["instruction"] = $"question {i}" });

    private static int GenerationOf(ScriptedRequest request) =>
        request.Options?.AdditionalProperties?.TryGetValue(ChatOptionsKeys.Generation, out var value) == true ? Convert.ToInt32(value) : 0;

    // Generation g of question i is "answer g to question i"; the grader's score of it is 1 + (i + 2g) % 5.
    private static ScriptedChatClient Answerer() =>
        new ScriptedChatClient().Otherwise(r => $"answer {GenerationOf(r)} to {Regex.Match(r.UserText, @"question \d+").Value}");

    private static int ScoreOf(int question, int generation) => 1 + (question + 2 * generation) % 5;

    // Later generations are graded faster, so the grades of one question finish in reverse order.
    private static ScriptedChatClient Grader() => new ScriptedChatClient
    {
        Latency = r => TimeSpan.FromMilliseconds(5 * (3 - int.Parse(Answer.Match(r.UserText).Groups[1].Value))),
    }.Otherwise(r =>
    {
        var match = Answer.Match(r.UserText);
        return $"Looks fine.\nScore: {ScoreOf(int.Parse(match.Groups[2].Value), int.Parse(match.Groups[1].Value))}";
    });

    [Test]
    public async Task A_one_answer_grader_over_three_generations_gives_one_row_per_question_with_aligned_generations_and_ratings()
    {
        var pipeline = NewPipeline("foreach");
        pipeline.Load(Questions(20))
            .Then(new TextGeneration { Llm = Answerer(), NumGenerations = 3, GroupGenerations = true, MaxConcurrency = 4 })
            .RenameColumns(new Dictionary<string, string> { ["generation"] = "generations" })
            .ForEach("generations", "generation", each => each.Then(new InstructionBacktranslation { Llm = Grader(), MaxConcurrency = 8 }),
                gather: new Dictionary<string, string> { ["score"] = "ratings", ["reason"] = "reasons" });

        var schema = await pipeline.ValidateAsync();
        var rows = await (await pipeline.RunAsync(Quiet)).Dataset.ToListAsync();

        Assert.That(rows.Select(r => (int)r["id"]!), Is.EqualTo(Enumerable.Range(0, 20)), "one row per question, in order");
        foreach (var row in rows)
        {
            var id = (int)row["id"]!;
            Assert.That(row["generations"]!.AsArray().Select(g => (string?)g), Is.EqualTo(Enumerable.Range(0, 3).Select(g => $"answer {g} to question {id}")));
            Assert.That(row["ratings"]!.AsArray().Select(s => (int?)s), Is.EqualTo(Enumerable.Range(0, 3).Select(g => ScoreOf(id, g))), "each rating beside its generation");
            Assert.That(row["reasons"]!.AsArray().Select(s => (string?)s), Has.All.EqualTo("Looks fine."));
            Assert.That(row.ContainsKey("generation"), Is.False, "the item column stays on the items");
        }
        Assert.That(schema["regroup"].Columns!.Find("ratings")!.Type, Is.EqualTo(ColumnType.ListOf(ColumnType.Integer)), "a list of the item's type");
    }

    // A package's row step that says its own row rule (two rows per row) to the estimate.
    private sealed class Twice(string name) : RowStep(name)
    {
        public override string Kind => "twice";
        public override RowSchema? SchemaAfter(IReadOnlyList<RowSchema?> parents) => parents[0];
        public override string Settings() => "";
        protected override IReadOnlyList<JsonObject> Apply(JsonObject row) => [row, (JsonObject)row.DeepClone()];
        protected override RowCountRule CountRows(RowCountContext input) => RowCountRule.Times(2, exact: true, $"twice '{Name}' copies each row");
    }

    [Test]
    public async Task The_estimate_counts_a_regroup_as_one_row_per_source_row_with_lists_as_long_as_the_fanned_out_list_and_follows_a_step_s_own_rule()
    {
        var pipeline = NewPipeline("estimate");
        pipeline.Load(Questions(4))
            .Then(new TextGeneration { Name = "answer", Llm = Answerer(), NumGenerations = 3, GroupGenerations = true })
            .RenameColumns(new Dictionary<string, string> { ["generation"] = "generations" }, "plural")
            .ForEach("generations", "generation", each => each.Then(new InstructionBacktranslation { Llm = Grader() }),
                gather: new Dictionary<string, string> { ["score"] = "ratings" }, name: "gathered")
            .Then(new TextGeneration { Name = "summary", Llm = Answerer() })
            .ExpandColumns(new Dictionary<string, string> { ["ratings"] = "rating" }, "one_per_rating")
            .Then(new Twice("copies"))
            .Then(new TextGeneration { Name = "per_rating", Llm = Answerer() });

        var estimate = await pipeline.EstimateAsync();

        var tasks = estimate.Tasks.ToDictionary(t => t.Step);
        Assert.That((tasks["summary"].Rows, tasks["summary"].RowsAreExact), Is.EqualTo(((long?)4, true)), "one row per question after the regroup");
        Assert.That(tasks["summary"].RowsBasis, Does.Contain("regroup 'gathered' gives one row per row of 'plural'"));
        Assert.That((tasks["per_rating"].Rows, tasks["per_rating"].RowsAreExact), Is.EqualTo(((long?)24, true)), "4 rows x 3 ratings (the length of 'generations') x 2 copies");
        Assert.That(tasks["per_rating"].RowsBasis, Does.Contain("expand_columns 'one_per_rating' gives a row per item of 'ratings' (3)").And.Contain("twice 'copies' copies each row"));
    }

    [Test]
    public async Task Generations_of_a_task_regroup_onto_their_question_whatever_order_the_grades_finish_in()
    {
        // No list to expand: three ungrouped generations are the fan-out (rows 0.0, 0.1, 0.2).
        var pipeline = NewPipeline("generations");
        var questions = pipeline.Load(Questions(30));
        questions
            .Then(new TextGeneration { Llm = Answerer(), NumGenerations = 3, MaxConcurrency = 4 })
            .Then(new InstructionBacktranslation { Llm = Grader(), MaxConcurrency = 16 })
            .Regroup(questions, new Dictionary<string, string> { ["generation"] = "generations", ["score"] = "ratings" });

        var rows = await (await pipeline.RunAsync(Quiet)).Dataset.ToListAsync();

        Assert.That(rows.Select(r => (int)r["id"]!), Is.EqualTo(Enumerable.Range(0, 30)));
        foreach (var row in rows)
        {
            var id = (int)row["id"]!;
            Assert.That(row.Select(c => c.Key), Is.EqualTo(new[] { "id", "instruction", "generations", "ratings" }), "the source row's columns, then the lists");
            Assert.That(row["generations"]!.AsArray().Select(g => (string?)g), Is.EqualTo(Enumerable.Range(0, 3).Select(g => $"answer {g} to question {id}")));
            Assert.That(row["ratings"]!.AsArray().Select(s => (int?)s), Is.EqualTo(Enumerable.Range(0, 3).Select(g => ScoreOf(id, g))));
        }
    }

    [Test]
    public async Task An_item_dropped_by_a_filter_leaves_null_in_its_slot()
    {
        var pipeline = NewPipeline("dropped");
        pipeline.Load(Questions(6))
            .Then(new TextGeneration { Llm = Answerer(), NumGenerations = 3, GroupGenerations = true })
            .RenameColumns(new Dictionary<string, string> { ["generation"] = "generations" })
            .ForEach("generations", "generation", each => each
                    .Filter(row => !((string)row["generation"]!).StartsWith("answer 2", StringComparison.Ordinal) || (int)row["id"]! % 2 == 0, reads: ["generation", "id"])
                    .Then(new InstructionBacktranslation { Llm = Grader() }),
                gather: new Dictionary<string, string> { ["score"] = "ratings" });

        var rows = await (await pipeline.RunAsync(Quiet)).Dataset.ToListAsync();

        Assert.That(rows, Has.Count.EqualTo(6));
        foreach (var row in rows)
        {
            var id = (int)row["id"]!;
            int?[] expected = [ScoreOf(id, 0), ScoreOf(id, 1), id % 2 == 0 ? ScoreOf(id, 2) : null];
            Assert.That(row["ratings"]!.AsArray().Select(s => (int?)s), Is.EqualTo(expected), $"row {id}: the dropped last item is null, the list keeps three slots");
            Assert.That(row["generations"]!.AsArray(), Has.Count.EqualTo(3));
        }
    }

    [Test]
    public void A_gathered_column_the_items_do_not_have_is_an_error_before_any_call()
    {
        var grader = Grader();
        var pipeline = NewPipeline("missing");
        pipeline.Load(Questions(3))
            .Then(new TextGeneration { Llm = Answerer(), NumGenerations = 2, GroupGenerations = true })
            .RenameColumns(new Dictionary<string, string> { ["generation"] = "generations" })
            .ForEach("generations", "generation", each => each.Then(new InstructionBacktranslation { Llm = grader }),
                gather: new Dictionary<string, string> { ["scores"] = "ratings" });

        var error = Assert.ThrowsAsync<PipelineException>(async () => await pipeline.RunAsync(Quiet))!;

        Assert.That(error.Message, Does.Contain("Step 'regroup' (regroup) gathers column 'scores', which the rows of 'instruction_backtranslation' do not have."));
        Assert.That(error.Message, Does.Contain("Did you mean 'score'?"));
        Assert.That(grader.Requests, Is.Empty);
    }

    [Test]
    public async Task A_killed_distil_run_with_a_regroup_resumes_to_the_same_dataset_without_asking_an_answered_call_again()
    {
        const int Questions = 150;
        // Generation g of question i is asked with seed 100 + g; the grader's prompt holds the answer.
        Server.Reply = FakeReplies.Answering(r => Answer.Match(r.LastMessage) is { Success: true } graded
                ? $"Fine.\nScore: {ScoreOf(int.Parse(graded.Groups[2].Value), int.Parse(graded.Groups[1].Value))}"
                : $"answer {(long)r.Body["seed"]! - 100} to {Regex.Match(r.LastMessage, @"question \d+").Value}")
            .WithLognormalLatency(TimeSpan.FromMilliseconds(8), 0.8, seed: 5);
        var input = Path.Combine(_temp.Path, "questions.jsonl");
        File.WriteAllLines(input, Enumerable.Range(0, Questions).Select(i => new JsonObject { ["id"] = i, ["instruction"] = $"question {i}" }.ToJsonString()));

        var uninterrupted = await RunToEndAsync("a");
        Assert.That(File.ReadAllLines(uninterrupted), Has.Length.EqualTo(Questions));
        Server.ResetStatistics();

        var (file, runDirectory, output) = WritePipelineFile("b");
        using (var child = ChildProgram.Distil.Start("run", "--pipeline", file))
        {
            var clock = Stopwatch.StartNew();
            while (Server.Requests.Count(r => Answer.IsMatch(r.LastMessage)) < 150)
            {
                if (child.HasExited) Assert.Fail($"distil run ended before it could be killed ({child.Process.ExitCode}): {child.Error}");
                Assert.That(clock.Elapsed, Is.LessThan(TimeSpan.FromSeconds(90)), "distil run graded too little");
                await Task.Delay(10);
            }
            await child.KillAsync(); // SIGKILL: no cleanup
        }
        var store = Path.Combine(runDirectory, "distil-run.db");
        var answered = RunStore.StoredKeys(store, "answer").ToHashSet();
        var graded = RunStore.StoredKeys(store, "grade").ToHashSet();
        Assert.That(graded.Count, Is.InRange(100, 3 * Questions - 1), "killed mid-way");
        Assert.That(File.Exists(output), Is.False);
        var resumedFrom = Server.RequestCount;

        var (exitCode, error) = await ChildProgram.Distil.RunAsync("run", "--pipeline", file);

        Assert.That(exitCode, Is.Zero, error);
        Assert.That(File.ReadAllLines(output), Is.EqualTo(File.ReadAllLines(uninterrupted)), "the same dataset as an uninterrupted run");
        var asked = Server.Requests.Where(r => r.Index >= resumedFrom).ToList();
        var answersAgain = asked.Where(r => !Answer.IsMatch(r.LastMessage)).Select(r => Regex.Match(r.LastMessage, @"question (\d+)").Groups[1].Value).Where(answered.Contains).ToList();
        var gradesAgain = asked.Select(r => Answer.Match(r.LastMessage)).Where(m => m.Success).Select(m => $"{m.Groups[2].Value}.{m.Groups[1].Value}").Where(graded.Contains).ToList();
        Assert.That(answersAgain, Is.Empty, "no question whose answers were stored is asked again");
        Assert.That(gradesAgain, Is.Empty, "no generation whose grade was stored is graded again");
        var firstRow = JsonNode.Parse(File.ReadLines(output).First())!.AsObject();
        Assert.That(firstRow["ratings"]!.AsArray().Select(s => (int?)s), Is.EqualTo(Enumerable.Range(0, 3).Select(g => ScoreOf(0, g))));
    }

    [Test]
    public async Task A_pipeline_file_regroups_an_expanded_list_over_its_list_column()
    {
        // docs/cli.md's second example: grouped generations, expanded, graded, regrouped with "over".
        Server.Reply = FakeReplies.Answering(r => Answer.Match(r.LastMessage) is { Success: true } graded
            ? $"Fine.\nScore: {ScoreOf(int.Parse(graded.Groups[2].Value), int.Parse(graded.Groups[1].Value))}"
            : $"answer {(long)r.Body["seed"]! - 100} to {Regex.Match(r.LastMessage, @"question \d+").Value}");
        File.WriteAllLines(Path.Combine(_temp.Path, "questions.jsonl"), Enumerable.Range(0, 8).Select(i => new JsonObject { ["id"] = i, ["instruction"] = $"question {i}" }.ToJsonString()));
        var file = Path.Combine(_temp.Path, "expanded.json");
        File.WriteAllText(file, $$"""
            {
              "name": "expanded",
              "model": "endpoint:{{Server.BaseUrl}}#fake-model",
              "run_dir": "run-expanded",
              "steps": [
                { "name": "questions", "load": "questions.jsonl" },
                { "name": "answer", "task": "text_generation", "after": "questions", "num_generations": 3, "params": { "group_generations": true, "seed": 100 } },
                { "name": "items", "expand_columns": { "generation": "generation" }, "after": "answer" },
                { "name": "grade", "task": "instruction_backtranslation", "after": "items" },
                { "name": "gathered", "regroup": { "score": "ratings" }, "over": "generation", "after": ["answer", "grade"] },
                { "name": "out", "write": "expanded.jsonl", "after": "gathered" }
              ]
            }
            """);

        var (exitCode, error) = await ChildProgram.Distil.RunAsync("run", "--pipeline", file);

        Assert.That(exitCode, Is.Zero, error);
        var rows = File.ReadAllLines(Path.Combine(_temp.Path, "expanded.jsonl")).Select(l => JsonNode.Parse(l)!.AsObject()).ToList();
        Assert.That(rows.Select(r => (int)r["id"]!), Is.EqualTo(Enumerable.Range(0, 8)));
        foreach (var row in rows)
        {
            var id = (int)row["id"]!;
            Assert.That(row["generation"]!.AsArray().Select(g => (string?)g), Is.EqualTo(Enumerable.Range(0, 3).Select(g => $"answer {g} to question {id}")));
            Assert.That(row["ratings"]!.AsArray().Select(s => (int?)s), Is.EqualTo(Enumerable.Range(0, 3).Select(g => ScoreOf(id, g))));
        }
    }

    [Test]
    public async Task A_regroup_in_a_file_with_one_step_in_after_is_refused_with_advice()
    {
        File.WriteAllText(Path.Combine(_temp.Path, "questions.jsonl"), """{"instruction": "question 0"}""");
        var file = Path.Combine(_temp.Path, "bad.json");
        File.WriteAllText(file, """
            {
              "name": "bad",
              "steps": [
                { "name": "questions", "load": "questions.jsonl" },
                { "name": "gathered", "regroup": { "score": "ratings" }, "after": "questions" },
                { "name": "out", "write": "out.jsonl", "after": "gathered" }
              ]
            }
            """);

        var (exitCode, error) = await ChildProgram.Distil.RunAsync("check", file, "--model", $"endpoint:{Server.BaseUrl}#fake-model");

        Assert.That(exitCode, Is.EqualTo(2), error);
        Assert.That(error, Does.Contain("step 'gathered' (regroup) takes two steps in \"after\": the step whose rows were fanned out, then the step whose rows hold the items; it has 1."));
    }

    private async Task<string> RunToEndAsync(string name)
    {
        var (file, _, output) = WritePipelineFile(name);
        var (exitCode, error) = await ChildProgram.Distil.RunAsync("run", "--pipeline", file);
        Assert.That(exitCode, Is.Zero, error);
        return output;
    }

    // The pipeline of docs/cli.md's regroup example, against the stand-in server.
    private (string File, string RunDirectory, string Output) WritePipelineFile(string name)
    {
        var file = Path.Combine(_temp.Path, $"graded-{name}.json");
        File.WriteAllText(file, $$"""
            {
              "name": "graded",
              "model": "endpoint:{{Server.BaseUrl}}#fake-model",
              "run_dir": "run-{{name}}",
              "steps": [
                { "name": "questions", "load": "questions.jsonl" },
                { "name": "answer", "task": "text_generation", "after": "questions", "num_generations": 3, "params": { "seed": 100 }, "concurrency": 8 },
                { "name": "grade", "task": "instruction_backtranslation", "after": "answer", "concurrency": 8 },
                { "name": "gathered", "regroup": { "generation": "generations", "score": "ratings" }, "after": ["questions", "grade"] },
                { "name": "out", "write": "graded-{{name}}.jsonl", "after": "gathered" }
              ]
            }
            """);
        return (file, Path.Combine(_temp.Path, $"run-{name}"), Path.Combine(_temp.Path, $"graded-{name}.jsonl"));
    }
}
