using System.Diagnostics;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Distil.Pipelines;
using Distil.Tasks;
using Distil.Testing;
using Distil.Tests.Providers;
using Distil.Tests.Support;
using Microsoft.Data.Sqlite;
using NUnit.Framework;

namespace Distil.Tests.Pipelines;

/// <summary>
/// A task row's commit is not in its call's critical path: once its answers are in, its call slot
/// goes to the next row while the row waits for the store's next (group) transaction. What may be
/// answered and not yet on disk stays bounded: at most the concurrency again.
/// </summary>
[NonParallelizable]
public class GroupCommitTests : FakeServerTests
{
    private const int Concurrency = 4;
    private const int Rows = 400;
    private static readonly Regex QuestionNumber = new(@"question (\d+)", RegexOptions.Compiled);

    private TempFolder _temp = null!;

    [SetUp]
    public void CreateWorkFolder() => _temp = new TempFolder("distil-group-commit-");

    [TearDown]
    public void DeleteWorkFolder() => _temp.Dispose();

    [Test]
    public async Task While_the_store_cannot_commit_calls_go_on_until_twice_the_concurrency_of_rows_wait_and_then_stop()
    {
        Server.Reply = FakeReplies.Answering(r => "re " + QuestionNumber.Match(r.LastMessage).Value).WithLatency(TimeSpan.FromMilliseconds(10));
        var runDirectory = Path.Combine(_temp.Path, "run");
        var store = Path.Combine(runDirectory, "distil-run.db");
        var pipeline = Pipeline.Create("group-commit");
        pipeline.RunDirectory = runDirectory;
        pipeline.Load(Enumerable.Range(0, Rows).Select(i => new JsonObject { ["id"] = i, ["instruction"] = $"question {i}" }))
            .Then(new TextGeneration { Llm = FakeServerClients.OpenAI(Server), MaxConcurrency = Concurrency });

        var run = pipeline.RunAsync(new PipelineRunOptions { Progress = ProgressMode.None });
        await WaitUntil(run, () => Committed(store) >= 20, "the run committed too little");

        int committed, sentWhileLocked;
        // Another connection takes the store's write lock: the run's writer waits for it (SQLite's busy
        // wait), so no row can be committed meanwhile; every answered row waits in memory.
        await using (var blocker = new SqliteConnection($"Data Source={store};Pooling=False;Default Timeout=30"))
        {
            blocker.Open();
            using (var begin = blocker.CreateCommand())
            {
                begin.CommandText = "BEGIN IMMEDIATE";
                begin.ExecuteNonQuery();
            }
            committed = Count(blocker);
            // A row waiting for its commit holds no call slot: calls go on until as many rows again
            // wait for the store as there are slots, and no further.
            await WaitUntil(run, () => Server.RequestCount - committed >= 2 * Concurrency && Server.InFlight == 0,
                $"calls stopped at {Server.RequestCount - committed} rows past the committed ones while the store was locked; a row waiting for its commit must not hold its call slot");
            await Task.Delay(300);
            sentWhileLocked = Server.RequestCount - committed;
            using var rollback = blocker.CreateCommand();
            rollback.CommandText = "ROLLBACK";
            rollback.ExecuteNonQuery();
        }

        var result = await run;

        Assert.That(sentWhileLocked, Is.EqualTo(2 * Concurrency), "at most the concurrency in flight plus the concurrency waiting for a commit");
        var ids = (await result.Dataset.ToListAsync()).Select(r => (int)r["id"]!).ToList();
        Assert.That(ids, Is.EqualTo(Enumerable.Range(0, Rows)), "every row once, in order");
        Assert.That(Server.RequestCount, Is.EqualTo(Rows), "no call sent twice");
        Assert.That(Committed(store), Is.EqualTo(Rows));
    }

    private static int Count(SqliteConnection connection)
    {
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT COUNT(*) FROM rows WHERE step = 'text_generation'";
        return Convert.ToInt32(command.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
    }

    private static int Committed(string store)
    {
        try
        {
            return File.Exists(store) ? RunStore.StoredKeys(store, "text_generation").Count : 0;
        }
        catch (SqliteException)
        {
            return 0; // the tables are not there yet
        }
    }

    private static async Task WaitUntil(Task run, Func<bool> condition, string failure)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            if (run.IsCompleted)
            {
                await run;
                Assert.Fail("the run ended first: " + failure);
            }
            Assert.That(clock.Elapsed, Is.LessThan(TimeSpan.FromSeconds(15)), failure);
            await Task.Delay(5);
        }
    }
}
