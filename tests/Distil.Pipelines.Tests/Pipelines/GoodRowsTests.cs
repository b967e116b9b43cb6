using System.Text.Json.Nodes;
using Distil.Pipelines;
using Distil.Tasks;
using Distil.Testing;
using Distil.Tests.Providers;
using Distil.Tests.Support;
using Microsoft.Extensions.AI;
using NUnit.Framework;

namespace Distil.Tests.Pipelines;

/// <summary>
/// "Give me N good rows": a generating pipeline keeps generating, in rounds, until N rows survive
/// its validator and dedup; bounded; resumable after a kill with the same dataset.
/// </summary>
public class GoodRowsTests : FakeServerTests
{
    // Row i draws with seed Seed + i. Every fifth row is not an instruction (the validator drops it),
    // rows 3, 10, 17... all say the same thing (the dedup keeps the first), the rest are distinct.
    private const int Seed = 1000;

    private TempFolder _temp = null!;

    [SetUp]
    public void CreateFolder() => _temp = new TempFolder("distil-good-rows-");

    [TearDown]
    public void DeleteFolder() => _temp.Dispose();

    private static string AnswerOf(long row) =>
        row % 5 == 0 ? "no" : row % 7 == 3 ? "Write the same thing again." : $"Write item {row}.";

    private void AnswerByRow(TimeSpan latency) =>
        Server.Reply = FakeReplies.Answering(r => AnswerOf((int)r.Body["seed"]! - Seed)).WithLatency(latency);

    // The good rows in generation order, by the rules above: what any run must write.
    private static List<(long Row, string Text)> Survivors(long generated)
    {
        var seen = new HashSet<string>();
        var survivors = new List<(long, string)>();
        for (long row = 0; row < generated; row++)
        {
            var text = AnswerOf(row);
            if (text.StartsWith("Write", StringComparison.Ordinal) && seen.Add(text)) survivors.Add((row, text));
        }
        return survivors;
    }

    private Pipeline Build(GoodRows goal, string output, string run = "run")
    {
        var pipeline = Pipeline.Create("good-rows");
        pipeline.RunDirectory = Path.Combine(_temp.Path, run);
        pipeline.Generate(new InstructionGenerator { Llm = FakeServerClients.OpenAI(Server), MaxConcurrency = 4, GenerationOptions = new ChatOptions { Seed = Seed } }, goal)
            .Validate("instruction", RowValidators.Regex("Write.*"), keepValidOnly: true)
            .Deduplicate("instruction", new DedupOptions { Method = DedupMethod.Exact })
            .Write(RowSinks.Jsonl(Path.Combine(_temp.Path, output)));
        return pipeline;
    }

    private List<string?> Written(string output) =>
        File.ReadAllLines(Path.Combine(_temp.Path, output)).Select(l => (string?)JsonNode.Parse(l)!["instruction"]).ToList();

    [Test]
    public async Task The_pipeline_generates_in_rounds_until_exactly_N_rows_survive_and_asks_each_row_once()
    {
        AnswerByRow(TimeSpan.Zero);

        var result = await Build(new GoodRows(61), "good.jsonl").RunAsync(new PipelineRunOptions { Progress = ProgressMode.None });

        var goal = result.GoodRows!;
        var expected = Survivors(goal.Generated).Take(61).ToList();
        Assert.That(goal.Reached, goal.Message);
        Assert.That(goal.Got, Is.EqualTo(61));
        Assert.That(Written("good.jsonl"), Is.EqualTo(expected.Select(s => s.Text)), "the first 61 survivors in generation order, and only them (the last round made 62)");
        Assert.That((await result.Dataset.ToListAsync()).Select(r => (string?)r["instruction"]), Is.EqualTo(expected.Select(s => s.Text)));
        Assert.That(result.Dataset.Count, Is.EqualTo(61));
        Assert.That(goal.Rounds, Has.Count.GreaterThan(1), "a fifth dropped and the duplicates: one round of 61 is not enough");
        Assert.That(goal.Rounds[0], Is.EqualTo(61));
        Assert.That(Written("good.jsonl").Count(t => t == "Write the same thing again."), Is.EqualTo(1), "dedup holds across rounds");
        Assert.That(expected.Any(s => s.Row >= goal.Rounds[0]), "rows of later rounds are in the dataset");
        Assert.That(Survivors(goal.Generated), Has.Count.GreaterThan(61), "the last round overshot, so the cut at 61 is what the test sees");

        // Calls: each generated row asked exactly once (rounds replay, never ask again), and past the
        // row that made the 61st good one, at most one round's worth of overshoot.
        var asked = Server.Requests.Select(r => (int)r.Body["seed"]!).ToList();
        Assert.That(asked, Is.Unique);
        Assert.That(asked, Has.Count.EqualTo(goal.Generated));
        var needed = expected[^1].Row + 1;
        var lastRound = goal.Rounds[^1] - goal.Rounds[^2];
        Assert.That(goal.Generated - needed, Is.LessThan(lastRound), $"rounds {string.Join(", ", goal.Rounds)}; {needed} rows were needed");
    }

    [Test]
    public async Task A_bound_reached_before_N_says_how_many_it_got_and_writes_no_file()
    {
        AnswerByRow(TimeSpan.Zero);

        var result = await Build(new GoodRows(60) { MaxRows = 70 }, "bounded.jsonl").RunAsync(new PipelineRunOptions { Progress = ProgressMode.None });

        var goal = result.GoodRows!;
        var got = Survivors(70).Count;
        Assert.That(goal.Reached, Is.False);
        Assert.That(goal.Generated, Is.EqualTo(70));
        Assert.That(goal.Got, Is.EqualTo(got));
        Assert.That(goal.Message, Does.Contain($"Only {got} of 60 good rows after generating 70 rows").And.Contain("max rows 70"));
        Assert.That(Server.RequestCount, Is.EqualTo(70), "never past the bound");
        Assert.That(File.Exists(Path.Combine(_temp.Path, "bounded.jsonl")), Is.False, "a file of fewer rows than asked is not written");
        Assert.That(result.Dataset.Count, Is.EqualTo(got), "the good rows it has are in the result");
    }

    [Test]
    public async Task A_bigger_target_later_reuses_every_stored_row()
    {
        AnswerByRow(TimeSpan.Zero);
        var first = await Build(new GoodRows(30), "a.jsonl").RunAsync(new PipelineRunOptions { Progress = ProgressMode.None });
        var askedFirst = Server.RequestCount;

        var second = await Build(new GoodRows(60), "b.jsonl").RunAsync(new PipelineRunOptions { Progress = ProgressMode.None });

        Assert.That(Written("b.jsonl").Take(30), Is.EqualTo(Written("a.jsonl")));
        Assert.That(Server.Requests.Select(r => (int)r.Body["seed"]!), Is.Unique, "no row asked twice across the two runs");
        Assert.That(Server.RequestCount, Is.EqualTo(second.GoodRows!.Generated), $"{askedFirst} asked by the first run, {first.GoodRows!.Generated} generated");
    }

    [Test]
    public void Good_rows_and_a_bound_below_the_target_are_refused() =>
        Assert.That(() => new GoodRows(10) { MaxRows = 5 }, Throws.InstanceOf<ArgumentOutOfRangeException>().With.Message.Contains("at least the target (10)"));

    [Test]
    public void A_good_rows_pipeline_with_two_ends_is_refused_before_any_call()
    {
        var pipeline = Pipeline.Create("two-ends");
        pipeline.RunDirectory = Path.Combine(_temp.Path, "two");
        var made = pipeline.Generate(new InstructionGenerator { Llm = FakeServerClients.OpenAI(Server) }, new GoodRows(5));
        made.KeepColumns(["instruction"]);
        made.Validate("instruction", RowValidators.Regex("Write.*"), keepValidOnly: true);

        Assert.That(async () => await pipeline.RunAsync(new PipelineRunOptions { Progress = ProgressMode.None }),
            Throws.InstanceOf<PipelineException>().With.Message.Contains("must end in one step"));
        Assert.That(Server.RequestCount, Is.Zero);
    }

    [Test]
    public async Task A_killed_distil_run_resumes_to_the_same_dataset_as_an_uninterrupted_one()
    {
        const int concurrency = 8;
        // 8 calls of 50 ms at a time: round 2 (136 rows) takes most of a second, time enough to kill in it.
        AnswerByRow(TimeSpan.FromMilliseconds(50));
        string File(string output) => $$"""
            {
              "name": "good-instructions",
              "steps": [
                { "name": "instructions", "generate": { "task": "instruction_generator", "good_rows": 298, "max_rows": 1000 },
                  "params": { "seed": {{Seed}} }, "concurrency": {{concurrency}} },
                { "name": "valid", "validate": { "column": "instruction", "kind": "regex", "pattern": "Write.*", "keep_valid": true }, "after": "instructions" },
                { "name": "unique", "dedup": { "column": "instruction", "method": "exact" }, "after": "valid" },
                { "name": "out", "write": "{{output}}", "after": "unique" }
              ]
            }
            """;
        var killedFile = Path.Combine(_temp.Path, "killed.json");
        System.IO.File.WriteAllText(killedFile, File("killed.jsonl"));
        string[] killed = ["run", "--pipeline", killedFile, "--run-dir", Path.Combine(_temp.Path, "killed-run"), "--model", $"endpoint:{Server.BaseUrl}#fake-model"];

        // Round 1 asks 298 rows; killed in round 2 (rows 298 to 433), past request 330.
        using (var child = ChildProgram.Distil.Start(killed))
        {
            var clock = System.Diagnostics.Stopwatch.StartNew();
            while (Server.RequestCount < 330)
            {
                if (child.HasExited) Assert.Fail($"distil run ended before it could be killed ({child.Process.ExitCode}): {child.Error}");
                Assert.That(clock.Elapsed, Is.LessThan(TimeSpan.FromSeconds(90)), "distil run asked too little");
                await Task.Delay(5);
            }
            await child.KillAsync(); // SIGKILL
        }
        var askedBefore = Server.Requests.Select(r => (int)r.Body["seed"]!).ToHashSet();
        Assert.That(askedBefore.Count, Is.InRange(299, 433), "killed in round 2");
        var resumedFrom = Server.RequestCount;
        Assert.That(System.IO.File.Exists(Path.Combine(_temp.Path, "killed.jsonl")), Is.False, "killed before the goal: no file yet");

        var (exitCode, error) = await ChildProgram.Distil.RunAsync(killed);
        Assert.That(exitCode, Is.Zero, error);
        var resumedCalls = Server.Requests.Skip(resumedFrom).Select(r => (int)r.Body["seed"]!).ToList();

        // The same pipeline, never interrupted, on a run directory of its own.
        var wholeFile = Path.Combine(_temp.Path, "whole.json");
        System.IO.File.WriteAllText(wholeFile, File("whole.jsonl"));
        var beforeWhole = Server.RequestCount;
        var (wholeExit, wholeError) = await ChildProgram.Distil.RunAsync(
            "run", "--pipeline", wholeFile, "--run-dir", Path.Combine(_temp.Path, "whole-run"), "--model", $"endpoint:{Server.BaseUrl}#fake-model");
        Assert.That(wholeExit, Is.Zero, wholeError);
        var wholeCalls = Server.RequestCount - beforeWhole;

        var resumed = System.IO.File.ReadAllLines(Path.Combine(_temp.Path, "killed.jsonl"));
        Assert.That(resumed, Has.Length.EqualTo(298), "the last round made 299 good rows; the first 298 are written");
        Assert.That(resumed, Is.EqualTo(System.IO.File.ReadAllLines(Path.Combine(_temp.Path, "whole.jsonl"))), "the resumed run wrote what an uninterrupted one writes");
        var expected = Survivors(1000).Take(298).Select(s => s.Text).ToList();
        Assert.That(Written("killed.jsonl"), Is.EqualTo(expected));
        var askedAgain = resumedCalls.Where(askedBefore.Contains).ToList();
        Assert.That(askedAgain, Has.Count.LessThanOrEqualTo(concurrency), "only the calls in flight at the kill are asked again: no stored answer");
        Assert.That(askedBefore.Count + resumedCalls.Count - askedAgain.Count, Is.EqualTo(wholeCalls), "together the two runs asked each row the uninterrupted run asked, once");
    }

    [Test]
    public async Task Distil_run_exits_1_and_says_how_many_it_got_when_the_bound_comes_first()
    {
        AnswerByRow(TimeSpan.Zero);
        var file = Path.Combine(_temp.Path, "bounded.json");
        System.IO.File.WriteAllText(file, $$"""
            {
              "name": "bounded",
              "steps": [
                { "name": "instructions", "generate": { "task": "instruction_generator", "good_rows": 60, "max_rows": 70 }, "params": { "seed": {{Seed}} } },
                { "name": "valid", "validate": { "column": "instruction", "kind": "regex", "pattern": "Write.*", "keep_valid": true }, "after": "instructions" },
                { "name": "out", "write": "bounded.jsonl", "after": "valid" }
              ]
            }
            """);

        var (exitCode, error) = await ChildProgram.Distil.RunAsync("run", "--pipeline", file, "--run-dir", Path.Combine(_temp.Path, "run"), "--model", $"endpoint:{Server.BaseUrl}#fake-model");

        Assert.That(exitCode, Is.EqualTo(1), error);
        Assert.That(error, Does.Contain("Only 56 of 60 good rows after generating 70 rows").And.Contain("max_rows"));
        Assert.That(System.IO.File.Exists(Path.Combine(_temp.Path, "bounded.jsonl")), Is.False);
    }

    [Test]
    public async Task A_pipeline_file_refuses_rows_and_good_rows_together()
    {
        var file = Path.Combine(_temp.Path, "both.json");
        System.IO.File.WriteAllText(file, """
            { "name": "both", "steps": [ { "name": "g", "generate": { "task": "instruction_generator", "rows": 5, "good_rows": 5 } } ] }
            """);

        var (exitCode, error) = await ChildProgram.Distil.RunAsync("run", "--pipeline", file, "--model", $"endpoint:{Server.BaseUrl}#fake-model");

        Assert.That(exitCode, Is.EqualTo(2), error);
        Assert.That(error, Does.Contain("step 'g'").And.Contain("\"rows\"").And.Contain("\"good_rows\"").And.Contain("not both"));
    }
}
