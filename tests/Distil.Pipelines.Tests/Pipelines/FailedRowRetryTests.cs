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
/// Rows whose LLM calls failed for good are asked again when the pipeline runs again on its run
/// directory (unless the run keeps them), and what later steps made of them is computed again;
/// rows that were answered are never asked twice.
/// </summary>
public class FailedRowRetryTests : FakeServerTests
{
    private const int Rows = 10;
    private static readonly int[] Failing = [1, 4, 7];

    private TempFolder _temp = null!;

    [SetUp]
    public void CreateRunFolder() => _temp = new TempFolder("distil-retry-");

    [TearDown]
    public void DeleteRunFolder() => _temp.Dispose();

    private static int RowOf(FakeRequest request) => int.Parse(Regex.Match(request.LastMessage, @"question (\d+)").Groups[1].Value);

    private static PipelineRunOptions Quiet => new() { Progress = ProgressMode.None };

    // No retries inside the client: a 500 fails its call for good at once.
    private Pipeline Build(int generations = 1)
    {
        var llm = FakeServerClients.OpenAI(Server, resilience: FakeServerClients.FastRetries with { MaxRetries = 0 });
        var pipeline = Pipeline.Create("retry");
        pipeline.RunDirectory = _temp.Path;
        pipeline.Load(Enumerable.Range(0, Rows).Select(i => new JsonObject { ["instruction"] = $"question {i}" }))
            .Then(new TextGeneration { Name = "answer", Llm = llm, MaxConcurrency = 4, NumGenerations = generations })
            .Map(row => { row["length"] = ((string?)row["generation"])?.Length; return row; }, reads: ["generation"], writes: ["length"], name: "measure")
            .Global(rows => rows.Select(row => { row["answered"] = rows.Count(r => r["generation"] is not null); return row; }), writes: ["answered"], name: "tally");
        return pipeline;
    }

    private void AnswerAll() => Server.Reply = FakeReplies.Answering(r => "re " + r.LastMessage);

    private void FailRows(params int[] rows)
    {
        var answer = FakeReplies.Answering(r => "re " + r.LastMessage);
        Server.Reply = r => rows.Contains(RowOf(r)) ? new FakeReply.ServerError(500) : answer(r);
    }

    private List<FakeRequest> RequestsSince(int first) => Server.Requests.Where(r => r.Index >= first).ToList();

    [Test]
    public async Task A_rerun_asks_again_exactly_the_rows_whose_calls_failed_and_recomputes_the_steps_after_them()
    {
        FailRows(Failing);
        var first = await Build().RunAsync(Quiet);
        Assert.That(first.Tasks["answer"].FailedCalls, Is.EqualTo(Failing.Length));
        Assert.That((await first.Dataset.ToListAsync()).Select(r => (int?)r["answered"]), Has.All.EqualTo(Rows - Failing.Length));

        AnswerAll();
        var rerunFrom = Server.RequestCount;
        var rerun = await Build().RunAsync(Quiet);

        Assert.That(RequestsSince(rerunFrom).Select(RowOf), Is.EquivalentTo(Failing), "only the failed rows are asked again, once each");
        Assert.That(rerun.Tasks["answer"].RetriedRows, Is.EqualTo(Failing.Length));
        Assert.That(rerun.Tasks["answer"].FailedCalls, Is.Zero);
        var rows = await rerun.Dataset.ToListAsync();
        Assert.That(rows, Has.Count.EqualTo(Rows));
        foreach (var row in rows)
        {
            var generation = (string?)row["generation"];
            Assert.That(generation, Does.StartWith("re "), row.ToJsonString());
            Assert.That((int?)row["length"], Is.EqualTo(generation!.Length), "the map step after the task computed the retried rows again");
            Assert.That(row["distilabel_metadata"]!.AsObject().ContainsKey("error_answer"), Is.False, row.ToJsonString());
        }
        Assert.That(rows.Select(r => (int?)r["answered"]), Has.All.EqualTo(Rows), "the global step after the task computed all its rows again");

        var again = Server.RequestCount;
        var third = await Build().RunAsync(Quiet);
        Assert.That(Server.RequestCount, Is.EqualTo(again), "once answered, nothing is asked again");
        Assert.That(third.Tasks["answer"].RetriedRows, Is.Zero);
    }

    [Test]
    public async Task KeepFailedRows_keeps_the_failed_rows_as_they_are_and_asks_nothing()
    {
        FailRows(Failing);
        await Build().RunAsync(Quiet);

        AnswerAll();
        var rerunFrom = Server.RequestCount;
        var kept = await Build().RunAsync(new PipelineRunOptions { Progress = ProgressMode.None, KeepFailedRows = true });

        Assert.That(Server.RequestCount, Is.EqualTo(rerunFrom), "no row asked again");
        Assert.That(kept.Tasks["answer"].RetriedRows, Is.Zero);
        var rows = await kept.Dataset.ToListAsync();
        Assert.That(rows.Count(r => r["generation"] is null), Is.EqualTo(Failing.Length));

        // Kept once does not mean kept for good: the next run without the option asks them.
        var retried = await Build().RunAsync(Quiet);
        Assert.That(RequestsSince(rerunFrom).Select(RowOf), Is.EquivalentTo(Failing));
        Assert.That(retried.Tasks["answer"].RetriedRows, Is.EqualTo(Failing.Length));
    }

    [Test]
    public async Task A_row_with_one_failed_generation_of_two_asks_again_only_that_generation()
    {
        // The first request for question 3 fails; its other generation is answered (and paid for).
        var answer = FakeReplies.Answering(r => "re " + r.LastMessage);
        var failedOnce = 0;
        Server.Reply = r => RowOf(r) == 3 && Interlocked.Exchange(ref failedOnce, 1) == 0 ? new FakeReply.ServerError(500) : answer(r);
        var first = await Build(generations: 2).RunAsync(Quiet);
        Assert.That(first.Tasks["answer"].FailedCalls, Is.EqualTo(1));

        AnswerAll();
        var rerunFrom = Server.RequestCount;
        var rerun = await Build(generations: 2).RunAsync(Quiet);

        Assert.That(RequestsSince(rerunFrom).Select(RowOf), Is.EqualTo(new[] { 3 }), "the answered generation is not asked again");
        Assert.That(rerun.Tasks["answer"].RetriedRows, Is.EqualTo(1));
        var rows = await rerun.Dataset.ToListAsync();
        Assert.That(rows, Has.Count.EqualTo(2 * Rows));
        Assert.That(rows.Select(r => (string?)r["generation"]), Has.All.StartWith("re "));
    }

    [Test]
    public async Task A_store_from_before_failed_rows_were_counted_has_its_failed_rows_found_from_their_metadata()
    {
        FailRows(Failing);
        await Build().RunAsync(Quiet);
        // The store as a Distil from before wrote it: no count of failed calls beside the rows.
        using (var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={Path.Combine(_temp.Path, "distil-run.db")};Pooling=False"))
        {
            connection.Open();
            using var drop = connection.CreateCommand();
            drop.CommandText = "ALTER TABLE rows DROP COLUMN failed";
            drop.ExecuteNonQuery();
        }

        AnswerAll();
        var rerunFrom = Server.RequestCount;
        var rerun = await Build().RunAsync(Quiet);

        Assert.That(RequestsSince(rerunFrom).Select(RowOf), Is.EquivalentTo(Failing));
        Assert.That(rerun.Tasks["answer"].RetriedRows, Is.EqualTo(Failing.Length));
        Assert.That((await rerun.Dataset.ToListAsync()).Select(r => (string?)r["generation"]), Has.All.StartWith("re "));
    }
}
