using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Distil.Pipelines;
using Distil.Tasks;
using Distil.Testing;
using Distil.Tests.Providers;
using Distil.Tests.Support;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.AI;
using NUnit.Framework;

namespace Distil.Tests.Pipelines;

/// <summary>
/// <see cref="Pipeline.EstimateAsync"/> over the run directory of a real run (against the stand-in
/// server): per task step, whether the next run replays or recomputes it and why, how many of its
/// requests have an answer kept (reused) and how many are new, and the new ones' cost; the run that
/// follows makes exactly the calls said. The directory is only read: its files stay byte for byte.
/// </summary>
public class DryRunReuseTests : FakeServerTests
{
    private const int Rows = 8;

    private TempFolder _temp = null!;

    private string RunDirectory => Path.Combine(_temp.Path, "run");

    [SetUp]
    public void CreateRunDirectory()
    {
        _temp = new TempFolder("distil-dry-reuse-");
        Server.Reply = FakeReplies.Answering(r => "Answer to " + r.LastMessage);
    }

    [TearDown]
    public void DeleteRunDirectory()
    {
        SqliteConnection.ClearAllPools();
        _temp.Dispose();
    }

    private static IEnumerable<JsonObject> Questions() =>
        Enumerable.Range(0, Rows).Select(i => new JsonObject { ["id"] = i, ["instruction"] = $"question {i}?" });

    private static JsonObject AsAsked(JsonObject row) => row;

    // Every other row's prompt changes (to one of the same length, so its tokens are the same).
    private static JsonObject EvenRowsUpper(JsonObject row)
    {
        if ((int)row["id"]! % 2 == 0) row["instruction"] = row["instruction"]!.GetValue<string>().ToUpperInvariant();
        return row;
    }

    private Pipeline Build(Func<JsonObject, JsonObject> clean)
    {
        var llm = FakeServerClients.OpenAI(Server);
        var pipeline = Pipeline.Create("dry-reuse");
        pipeline.RunDirectory = RunDirectory;
        pipeline.Load(Questions(), "questions")
            .Map(clean, reads: ["instruction"], writes: ["instruction"], name: "clean")
            .Then(new TextGeneration { Name = "answer", Llm = llm, GenerationOptions = new ChatOptions { MaxOutputTokens = 10 } });
        return pipeline;
    }

    private static readonly PriceTable Prices = new PriceTable().Set("fake-model", 100_000m, 200_000m); // 10 cents an input token, 20 an output token

    private Task<PipelineEstimate> DryRunAsync(Pipeline pipeline) =>
        pipeline.EstimateAsync(new EstimateOptions { RunDirectory = RunDirectory, Prices = Prices });

    [Test]
    public async Task After_an_unchanged_rerun_every_step_replays_and_no_call_is_new()
    {
        await Build(AsAsked).RunAsync(new PipelineRunOptions { Progress = ProgressMode.None });

        var estimate = await DryRunAsync(Build(AsAsked));

        var answer = estimate.Tasks.Single();
        Assert.That(estimate.HasEarlierRun, Is.True);
        Assert.That(estimate.Recomputed, Is.Empty);
        Assert.That(answer.Reuse, Is.EqualTo(new StepReuse(null, Rows, 0, 0, true) { NewInputTokens = 0, NewMinCost = 0, NewMaxCost = 0 }));
        Assert.That(estimate.ToString(), Does.Contain("every step replays its stored rows").And.Contain($"run directory: replays {Rows} stored rows, 0 calls")
            .And.Contain($"total new calls: 0 (0 reused from answers.db, {Rows} stored rows replayed)"));
    }

    [Test]
    public async Task A_map_that_changes_half_the_prompts_reuses_the_other_half_and_the_run_makes_exactly_the_new_calls()
    {
        await Build(AsAsked).RunAsync(new PipelineRunOptions { Progress = ProgressMode.None });
        var before = Snapshot();

        var estimate = await DryRunAsync(Build(EvenRowsUpper));

        Assert.That(Snapshot(), Is.EqualTo(before), "the dry run created or changed nothing in the run directory");
        var answer = estimate.Tasks.Single();
        var reuse = answer.Reuse!;
        Assert.That(reuse.Recompute!.Reason, Is.EqualTo("upstream step 'clean' changed (its code changed)"));
        Assert.That((reuse.ReplayedRows, reuse.ReusedCalls, reuse.NewCalls, reuse.NewCallsAreExact), Is.EqualTo((0L, (long?)(Rows / 2), (long?)(Rows / 2), true)));
        // The changed prompts have as many tokens as the old: the new calls hold half the input tokens.
        Assert.That(reuse.NewInputTokens, Is.EqualTo(answer.InputTokens / 2));
        Assert.That(reuse.NewMinCost, Is.EqualTo(reuse.NewInputTokens * 0.1m));
        Assert.That(reuse.NewMaxCost, Is.EqualTo(reuse.NewInputTokens * 0.1m + Rows / 2 * 10 * 0.2m), "each new call may write max_new_tokens (10)");
        var text = estimate.ToString();
        Assert.That(text, Does.Contain("Step 'clean' recomputes: its code changed; 8 stored rows are dropped."));
        Assert.That(text, Does.Contain($"run directory: recomputes (upstream step 'clean' changed (its code changed)); {Rows / 2} calls reused from answers.db, {Rows / 2} new"));
        Assert.That(text, Does.Contain($"cost of the new calls {PriceTable.FormatDollars(reuse.NewMinCost!.Value)} to {PriceTable.FormatDollars(reuse.NewMaxCost!.Value)}"));

        var sent = Server.RequestCount;
        var result = await Build(EvenRowsUpper).RunAsync(new PipelineRunOptions { Progress = ProgressMode.None });

        Assert.That(Server.RequestCount - sent, Is.EqualTo(Rows / 2), "the run makes exactly the new calls the dry run said");
        Assert.That(result.Recomputed.Select(r => r.Step), Is.EqualTo(new[] { "clean", "answer" }));
    }

    [Test]
    public async Task A_dry_run_on_a_directory_with_no_run_says_every_call_is_new_and_creates_nothing()
    {
        var estimate = await DryRunAsync(Build(AsAsked));

        Assert.That(estimate.HasEarlierRun, Is.False);
        Assert.That(estimate.Tasks.Single().Reuse, Is.Null);
        Assert.That(estimate.ToString(), Does.Contain($"run directory {RunDirectory}: no earlier run; every call is new"));
        Assert.That(Directory.Exists(RunDirectory), Is.False);
    }

    [Test]
    public async Task A_killed_run_s_write_ahead_log_is_read_from_a_copy_and_the_directory_is_left_as_it_was()
    {
        await Build(AsAsked).RunAsync(new PipelineRunOptions { Progress = ProgressMode.None });
        // A run still holding the store open: its write-ahead log is beside the file, with rows not yet checkpointed.
        using var holder = new SqliteConnection($"Data Source={Path.Combine(RunDirectory, "distil-run.db")};Pooling=False");
        holder.Open();
        using (var command = holder.CreateCommand())
        {
            command.CommandText = "PRAGMA journal_mode = WAL; PRAGMA wal_autocheckpoint = 0; UPDATE rows SET failed = 1 WHERE input_key = '0';";
            command.ExecuteNonQuery();
        }
        Assert.That(File.Exists(Path.Combine(RunDirectory, "distil-run.db-wal")), Is.True);
        var before = Snapshot();

        var estimate = await DryRunAsync(Build(AsAsked));

        Assert.That(Snapshot(), Is.EqualTo(before));
        Assert.That(estimate.Tasks.Single().Reuse!.ReplayedRows, Is.EqualTo(Rows - 1), "the row marked failed in the log is asked again");
    }

    // Every file of the run directory, with a hash of its bytes.
    private SortedDictionary<string, string> Snapshot() =>
        new(Directory.GetFiles(RunDirectory, "*", SearchOption.AllDirectories)
            .ToDictionary(f => Path.GetRelativePath(RunDirectory, f), f => Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(f)))), StringComparer.Ordinal);
}
