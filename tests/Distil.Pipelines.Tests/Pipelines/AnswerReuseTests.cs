using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Distil.OpenAI;
using Distil.Pipelines;
using Distil.Tasks;
using Distil.Testing;
using Distil.Tests.Providers;
using Distil.Tests.Support;
using Microsoft.Extensions.AI;
using NUnit.Framework;

namespace Distil.Tests.Pipelines;

/// <summary>
/// A task step computed again (here: because the Map before it changed) asks the LLM only for
/// requests its run directory never had answered: the same request of the same row comes from
/// <c>answers.db</c>, costs nothing and is counted as reused; a changed prompt is asked; two rows
/// with one prompt keep answers of their own.
/// </summary>
public class AnswerReuseTests : FakeServerTests
{
    private const int Rows = 12;

    private TempFolder _temp = null!;

    [SetUp]
    public void CreateRunFolder() => _temp = new TempFolder("distil-reuse-");

    [TearDown]
    public void DeleteRunFolder() => _temp.Dispose();

    private string RunDirectory => Path.Combine(_temp.Path, "run");

    private string Output => Path.Combine(_temp.Path, "answers.jsonl");

    private static PipelineRunOptions Quiet => new() { Progress = ProgressMode.None };

    // The consumer's Map, in the versions a user might edit it into.
    private static JsonObject Ask(JsonObject row)
    {
        row["instruction"] = $"question {(int)row["id"]!}";
        return row;
    }

    // Also writes a column the task does not read: no prompt changes.
    private static JsonObject AskAndNote(JsonObject row)
    {
        row["instruction"] = $"question {(int)row["id"]!}";
        row["note"] = "not read by the task";
        return row;
    }

    // Every prompt changes.
    private static JsonObject AskLoudly(JsonObject row)
    {
        row["instruction"] = $"question {(int)row["id"]!}".ToUpperInvariant();
        return row;
    }

    // The prompts of even rows change, those of odd rows stay.
    private static JsonObject AskEvenLoudly(JsonObject row)
    {
        var id = (int)row["id"]!;
        row["instruction"] = id % 2 == 0 ? $"QUESTION {id}" : $"question {id}";
        return row;
    }

    private static JsonObject AskEvenLoudlyAndNote(JsonObject row)
    {
        var id = (int)row["id"]!;
        row["instruction"] = id % 2 == 0 ? $"QUESTION {id}" : $"question {id}";
        row["note"] = "not read by the task";
        return row;
    }

    // Every row asks the very same thing.
    private static JsonObject AskTheSame(JsonObject row)
    {
        row["instruction"] = "tell me something";
        return row;
    }

    private static JsonObject AskTheSameAndNote(JsonObject row)
    {
        row["instruction"] = "tell me something";
        row["note"] = "not read by the task";
        return row;
    }

    // load, Map, task, write: the consumer pipeline of issue 30.
    private Pipeline Build(Func<JsonObject, JsonObject> map, IChatClient? llm = null)
    {
        var pipeline = Pipeline.Create("reuse");
        pipeline.RunDirectory = RunDirectory;
        pipeline.Load(Enumerable.Range(0, Rows).Select(i => new JsonObject { ["id"] = i }))
            .Map(map, reads: ["id"], writes: ["instruction", "note"], name: "prompt")
            .Then(new TextGeneration { Name = "answer", Llm = llm ?? FakeServerClients.OpenAI(Server), MaxConcurrency = 4 })
            .Write(RowSinks.Jsonl(Output));
        return pipeline;
    }

    private void AnswerEcho() => Server.Reply = FakeReplies.Answering(r => "re " + r.LastMessage);

    private List<FakeRequest> RequestsSince(int first) => Server.Requests.Where(r => r.Index >= first).ToList();

    private static int IdOf(FakeRequest request) => int.Parse(Regex.Match(request.LastMessage, @"(?i)question (\d+)").Groups[1].Value);

    // The rows as written, without the column only one version of the Map writes.
    private List<string> Written() => File.ReadAllLines(Output).Select(line =>
    {
        var row = JsonNode.Parse(line)!.AsObject();
        row.Remove("note");
        return row.ToJsonString();
    }).ToList();

    [Test]
    public async Task A_step_recomputed_with_the_same_prompts_makes_no_call_and_writes_the_same_dataset()
    {
        AnswerEcho();
        var first = await Build(Ask).RunAsync(Quiet);
        Assert.That(Server.RequestCount, Is.EqualTo(Rows));
        Assert.That(first.Tasks["answer"].AnswersReused, Is.Zero);
        var before = Written();

        var rerunFrom = Server.RequestCount;
        var rerun = await Build(AskAndNote).RunAsync(Quiet);

        Assert.That(RequestsSince(rerunFrom), Is.Empty, "every prompt was answered before in this run directory");
        Assert.That(Written(), Is.EqualTo(before), "the same answers, metadata included");
        Assert.That(File.ReadAllLines(Output).Select(l => (string?)JsonNode.Parse(l)!["note"]), Has.All.EqualTo("not read by the task"), "the Map ran again");
        var statistics = rerun.Tasks["answer"];
        Assert.That((statistics.Calls, statistics.AnswersReused, statistics.InputTokens, statistics.OutputTokens), Is.EqualTo((0L, (long)Rows, 0L, 0L)),
            "reused answers are not calls of this run and cost no tokens");
        var end = JsonNode.Parse(File.ReadAllLines(Path.Combine(RunDirectory, "run-log.jsonl"))[^1])!;
        Assert.That((string?)end["event"], Is.EqualTo("end"));
        var logged = end["steps"]!.AsArray().Single(s => (string?)s!["name"] == "answer")!;
        Assert.That(((long?)logged["calls"], (long?)logged["answers_reused"], (long?)logged["input_tokens"]), Is.EqualTo(((long?)0, (long?)Rows, (long?)0)));
    }

    [Test]
    public async Task A_map_that_changes_every_prompt_makes_exactly_one_call_per_row()
    {
        AnswerEcho();
        await Build(Ask).RunAsync(Quiet);

        var rerunFrom = Server.RequestCount;
        var rerun = await Build(AskLoudly).RunAsync(Quiet);

        Assert.That(RequestsSince(rerunFrom).Select(IdOf), Is.EquivalentTo(Enumerable.Range(0, Rows)), "one call per row, none reused");
        Assert.That(File.ReadAllLines(Output).Select(l => (string?)JsonNode.Parse(l)!["generation"]), Has.All.StartWith("re QUESTION "), "no stale answer");
        Assert.That((rerun.Tasks["answer"].Calls, rerun.Tasks["answer"].AnswersReused), Is.EqualTo(((long)Rows, 0L)));
    }

    [Test]
    public async Task A_map_that_changes_half_the_prompts_asks_exactly_those_rows()
    {
        AnswerEcho();
        await Build(Ask).RunAsync(Quiet);

        var rerunFrom = Server.RequestCount;
        var rerun = await Build(AskEvenLoudly).RunAsync(Quiet);

        var even = Enumerable.Range(0, Rows).Where(i => i % 2 == 0);
        Assert.That(RequestsSince(rerunFrom).Select(IdOf), Is.EquivalentTo(even), "only the changed prompts are asked, once each");
        var generations = File.ReadAllLines(Output).Select(l => JsonNode.Parse(l)!).ToDictionary(r => (int)r["id"]!, r => (string?)r["generation"]);
        Assert.That(Enumerable.Range(0, Rows).Select(i => generations[i]),
            Is.EqualTo(Enumerable.Range(0, Rows).Select(i => i % 2 == 0 ? $"re QUESTION {i}" : $"re question {i}")));
        Assert.That((rerun.Tasks["answer"].Calls, rerun.Tasks["answer"].AnswersReused), Is.EqualTo(((long)Rows / 2, (long)Rows / 2)));
    }

    [Test]
    public async Task The_step_s_log_line_and_the_recompute_line_say_why_it_ran_and_how_many_answers_it_reused()
    {
        AnswerEcho();
        await Build(Ask).RunAsync(Quiet);

        var pipeline = Build(AskEvenLoudly);
        var log = new ListLogger();
        pipeline.Logger = log;
        var rerun = await pipeline.RunAsync(new PipelineRunOptions { Progress = ProgressMode.Log });

        Assert.That(log.Text, Does.Contain("Step 'answer' recomputes: upstream step 'prompt' changed"), log.Text);
        Assert.That(log.Text, Does.Match($@"step answer done: {Rows} rows in, {Rows} out, {Rows / 2} answers reused"), log.Text);
        Assert.That(rerun.Recomputed.Select(r => r.Step), Does.Contain("answer"));
    }

    [Test]
    public async Task Rows_with_the_same_prompt_keep_answers_of_their_own_through_a_recompute()
    {
        // Each call gets another answer, as a sampling model gives.
        var calls = 0;
        Server.Reply = _ => new FakeReply.Answer($"answer {Interlocked.Increment(ref calls)}");
        await Build(AskTheSame).RunAsync(Quiet);
        var first = File.ReadAllLines(Output).Select(l => (string?)JsonNode.Parse(l)!["generation"]).ToList();
        Assert.That(first.Distinct().Count(), Is.EqualTo(Rows), "one answer per row, not one per prompt");

        var rerunFrom = Server.RequestCount;
        await Build(AskTheSameAndNote).RunAsync(Quiet);

        Assert.That(RequestsSince(rerunFrom), Is.Empty);
        Assert.That(File.ReadAllLines(Output).Select(l => (string?)JsonNode.Parse(l)!["generation"]), Is.EqualTo(first), "each row kept its own answer");
    }

    [Test]
    public async Task A_re_ask_of_the_same_conversation_is_a_new_request_and_a_recompute_asks_none()
    {
        // Every answer is unreadable, so each re-ask sends the very conversation the one before it sent.
        Server.Reply = FakeReplies.Answering(_ => "no idea");
        Pipeline Scoring(Func<JsonObject, JsonObject> map)
        {
            var pipeline = Pipeline.Create("reasks");
            pipeline.RunDirectory = RunDirectory;
            pipeline.Load(Enumerable.Range(0, 4).Select(i => new JsonObject { ["id"] = i, ["responses"] = new JsonArray("yes", "no") }))
                .Map(map, reads: ["id"], writes: ["instruction", "note"], name: "prompt")
                .Then(new QualityScorer { Name = "score", Llm = FakeServerClients.OpenAI(Server), Reasks = 2, UseDefaultStructuredOutput = true });
            return pipeline;
        }

        await Scoring(Ask).RunAsync(Quiet);
        var asked = Server.Requests.GroupBy(r => Regex.Match(r.Prompt, @"question (\d+)").Groups[1].Value).ToDictionary(g => g.Key, g => g.Count());
        var rerunFrom = Server.RequestCount;
        var rerun = await Scoring(AskAndNote).RunAsync(Quiet);

        Assert.That(asked, Has.Count.EqualTo(4));
        Assert.That(asked.Values, Has.All.EqualTo(3), "the first answer and two re-asks, each sent although the second re-ask repeats the first");
        Assert.That(RequestsSince(rerunFrom), Is.Empty, "every call of the recomputed step, re-asks included, was answered before");
        Assert.That(rerun.Tasks["score"].AnswersReused, Is.EqualTo(12));
    }

    [Test]
    public async Task Two_steps_sending_the_same_request_for_a_row_keep_answers_of_their_own()
    {
        var calls = 0;
        Server.Reply = _ => new FakeReply.Answer($"answer {Interlocked.Increment(ref calls)}");
        var llm = FakeServerClients.OpenAI(Server);
        var pipeline = Pipeline.Create("two");
        pipeline.RunDirectory = RunDirectory;
        var questions = pipeline.Load(Enumerable.Range(0, Rows).Select(i => new JsonObject { ["id"] = i, ["instruction"] = $"question {i}" }));
        var first = questions.Then(new TextGeneration { Name = "first", Llm = llm, MaxConcurrency = 4 });
        var second = questions.Then(new TextGeneration { Name = "second", Llm = llm, MaxConcurrency = 4 });
        pipeline.GroupColumns(["generation"], null, first, second);

        var rows = await (await pipeline.RunAsync(Quiet)).Dataset.ToListAsync();

        Assert.That(Server.RequestCount, Is.EqualTo(2 * Rows), "each step asked for each row");
        Assert.That(rows.Select(r => r["grouped_generation"]!.AsArray().Select(g => (string?)g).Distinct().Count()), Has.All.EqualTo(2),
            "a sampled answer per step, not one shared by whichever step asked first");
    }

    [Test]
    public async Task Deleting_the_answers_file_asks_again()
    {
        AnswerEcho();
        await Build(Ask).RunAsync(Quiet);
        File.Delete(Path.Combine(RunDirectory, "answers.db"));

        var rerunFrom = Server.RequestCount;
        await Build(AskAndNote).RunAsync(Quiet);

        Assert.That(RequestsSince(rerunFrom), Has.Count.EqualTo(Rows));
    }

    [Test]
    public async Task A_recomputed_batch_step_sends_only_the_requests_it_has_no_answer_for()
    {
        AnswerEcho();
        var options = new OfflineBatchOptions { PollInterval = TimeSpan.FromMilliseconds(5), MaxPollInterval = TimeSpan.FromMilliseconds(20) };
        IChatClient Batches() => FakeServerClients.OpenAI(Server).UseOfflineBatchGeneration(options);
        var wait = new PipelineRunOptions { Progress = ProgressMode.None, WaitForBatches = true };
        await Build(Ask, Batches()).RunAsync(wait);
        Assert.That(Server.Batches.Created.Single().CustomIds, Has.Count.EqualTo(Rows));

        var rerun = await Build(AskEvenLoudly, Batches()).RunAsync(wait);

        Assert.That(Server.Batches.Created, Has.Count.EqualTo(2));
        Assert.That(Server.Batches.Created[1].CustomIds, Is.EquivalentTo(Enumerable.Range(0, Rows).Where(i => i % 2 == 0).Select(i => $"{i}:0")),
            "the unchanged prompts were answered from the run directory");
        Assert.That(Server.RequestCount, Is.Zero, "no online call");
        var generations = File.ReadAllLines(Output).Select(l => JsonNode.Parse(l)!).ToDictionary(r => (int)r["id"]!, r => (string?)r["generation"]);
        Assert.That(Enumerable.Range(0, Rows).Select(i => generations[i]),
            Is.EqualTo(Enumerable.Range(0, Rows).Select(i => i % 2 == 0 ? $"re QUESTION {i}" : $"re question {i}")));
        Assert.That((rerun.Tasks["answer"].Calls, rerun.Tasks["answer"].AnswersReused), Is.EqualTo(((long)Rows / 2, (long)Rows / 2)));

        // An online step computed again with the same prompts finds the batch's answers too.
        var onlineFrom = Server.RequestCount;
        await Build(AskEvenLoudlyAndNote).RunAsync(Quiet);
        Assert.That(RequestsSince(onlineFrom), Is.Empty);
    }
}
