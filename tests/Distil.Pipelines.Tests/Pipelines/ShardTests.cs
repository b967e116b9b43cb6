using System.Text.Json.Nodes;
using Distil.Pipelines;
using Distil.Tasks;
using Distil.Testing;
using Distil.Tests.Providers;
using Distil.Tests.Support;
using NUnit.Framework;

namespace Distil.Tests.Pipelines;

/// <summary>A run split into shards that run as separate processes (one killed and resumed), merged, and compared with the unsharded run.</summary>
[NonParallelizable]
public class ShardTests : FakeServerTests
{
    private const int Rows = 60;
    private TempFolder _temp = null!;

    [SetUp]
    public void CreateFolder() => _temp = new TempFolder("distil-shards-");

    [TearDown]
    public void DeleteFolder() => _temp.Dispose();

    private string Input()
    {
        var input = Path.Combine(_temp.Path, "questions.jsonl");
        if (!File.Exists(input)) File.WriteAllLines(input, Enumerable.Range(0, Rows).Select(i => new JsonObject { ["id"] = i, ["instruction"] = $"question {i}" }.ToJsonString()));
        return input;
    }

    private string[] Run(string output, string runDirectory, params string[] extra) =>
        ["run", "--task", "text_generation", "--input", Input(), "--output", output, "--model", $"endpoint:{Server.BaseUrl}#fake-model", "--run-dir", runDirectory, .. extra];

    [Test]
    public async Task Shards_in_separate_processes_one_killed_and_resumed_merge_to_the_unsharded_rows()
    {
        var latency = TimeSpan.Zero;
        Server.Reply = r => new FakeReply.Answer("answer to " + r.LastMessage).After(latency);
        var full = Path.Combine(_temp.Path, "full.jsonl");
        var (exitCode, error) = await ChildProgram.Distil.RunAsync(Run(full, Path.Combine(_temp.Path, "run")));
        Assert.That(exitCode, Is.Zero, error);
        Server.ResetStatistics();

        var output = Path.Combine(_temp.Path, "shards", "answers.jsonl");
        var runs = Path.Combine(_temp.Path, "shard-run");
        // Shard 1 is killed while its answers come slowly, then run again.
        latency = TimeSpan.FromMilliseconds(200);
        using (var killed = ChildProgram.Distil.Start(Run(output, runs, "--shard", "1/3", "--concurrency", "2")))
        {
            var deadline = DateTime.UtcNow.AddSeconds(60);
            while (Server.RequestCount < 6 && DateTime.UtcNow < deadline) await Task.Delay(20);
            await killed.KillAsync();
        }
        var askedBeforeKill = Server.RequestCount;
        latency = TimeSpan.Zero;
        foreach (var shard in new[] { "0/3", "1/3", "2/3" })
        {
            (exitCode, error) = await ChildProgram.Distil.RunAsync(Run(output, runs, "--shard", shard));
            Assert.That(exitCode, Is.Zero, $"shard {shard}: {error}");
        }
        var shardFiles = Enumerable.Range(0, 3).Select(i => Path.Combine(_temp.Path, "shards", $"answers.shard-{i}-of-3.jsonl")).ToArray();
        var perShard = shardFiles.Select(f => File.ReadAllLines(f).Length).ToArray();
        Assert.That(perShard.Sum(), Is.EqualTo(Rows));
        Assert.That(perShard, Has.All.GreaterThan(Rows / 3 - 12), "balanced shards");
        Assert.That(Server.RequestCount, Is.LessThanOrEqualTo(Rows + 2), $"only the calls in flight when shard 1 was killed were asked again ({askedBeforeKill} before the kill)");
        Assert.That(Directory.Exists(runs + ".shard-1-of-3"), "each shard has a run directory of its own");

        var merged = Path.Combine(_temp.Path, "merged.jsonl");
        (exitCode, error) = await ChildProgram.Distil.RunAsync(["merge", merged, .. shardFiles.Reverse()]);

        Assert.That(exitCode, Is.Zero, error);
        Assert.That(File.ReadAllLines(merged), Is.EqualTo(File.ReadAllLines(full)), "row for row the unsharded run, in the source's order");

        (exitCode, error) = await ChildProgram.Distil.RunAsync("merge", Path.Combine(_temp.Path, "m2.jsonl"), shardFiles[0], shardFiles[2]);
        Assert.That((exitCode, error), Is.EqualTo((2, error)));
        Assert.That(error, Does.Contain("Shard 1 of 3 is missing"));
        (exitCode, error) = await ChildProgram.Distil.RunAsync("merge", Path.Combine(_temp.Path, "m3.jsonl"), shardFiles[0], shardFiles[1], shardFiles[2], shardFiles[1]);
        Assert.That(error, Does.Contain("Shard 1 of 3 is given twice"));
        Assert.That(exitCode, Is.EqualTo(2));
    }

    [Test]
    public async Task Hugging_Face_shards_merge_into_one_dataset_with_the_unsharded_rows()
    {
        var llm = new ScriptedChatClient(r => ScriptedChatClient.Answer("answer to " + r.UserText, 3, 4));
        async Task<string> WriteAsync(string name, Shard? shard)
        {
            var folder = Path.Combine(_temp.Path, name);
            var pipeline = Pipeline.Create("hf-shards");
            pipeline.RunDirectory = Path.Combine(_temp.Path, "run-" + name);
            pipeline.Load(Enumerable.Range(0, Rows).Select(i => new JsonObject { ["id"] = i, ["instruction"] = $"question {i}" }))
                .Then(new TextGeneration { Llm = llm, NumGenerations = 2 })
                .Write(RowSinks.HuggingFace(folder, maxShardBytes: 4_000));
            var result = await pipeline.RunAsync(new PipelineRunOptions { Progress = ProgressMode.None, Shard = shard });
            Assert.That(result.Completed);
            return folder;
        }
        var full = await WriteAsync("full", null);
        var parts = new List<string>();
        for (var i = 0; i < 3; i++) parts.Add(await WriteAsync($"part-{i}", new Shard(i, 3)));

        var merged = Path.Combine(_temp.Path, "merged");
        var written = await ShardMerge.MergeAsync(parts, RowSinks.HuggingFace(merged));

        Assert.That(written, Is.EqualTo(Rows * 2), "two generations a row");
        Assert.That(File.Exists(Path.Combine(merged, "README.md")), "a dataset card");
        async Task<List<string>> ReadAsync(string folder)
        {
            var rows = new List<string>();
            foreach (var file in Directory.GetFiles(Path.Combine(folder, "data"), "*.parquet").Order(StringComparer.Ordinal))
            {
                await foreach (var row in RowSources.Parquet(file).ReadAsync(CancellationToken.None)) rows.Add(row.ToJsonString());
            }
            return rows;
        }
        Assert.That(await ReadAsync(merged), Is.EqualTo(await ReadAsync(full)));
    }

    [TestCase("3/3")]
    [TestCase("1-3")]
    [TestCase("-1/3")]
    public void A_bad_shard_is_refused(string text) =>
        Assert.That(() => Shard.Parse(text), Throws.TypeOf<FormatException>().With.Message.Contains("write I/N with I from 0 to N-1"));

    [Test]
    public void Every_row_belongs_to_exactly_one_shard_and_shards_are_balanced()
    {
        var counts = new int[8];
        for (long row = 0; row < 80_000; row++)
        {
            var owners = Enumerable.Range(0, 8).Where(i => new Shard(i, 8).Contains(row)).ToList();
            Assert.That(owners, Has.Count.EqualTo(1));
            counts[owners[0]]++;
        }
        Assert.That(counts, Has.All.InRange(9_600, 10_400), "within 4 % of 10,000 each");
    }
}
