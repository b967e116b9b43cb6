using System.Text.Json.Nodes;
using Distil.Pipelines;
using Distil.Tests.Support;
using NUnit.Framework;

namespace Distil.Tests.Pipelines;

/// <summary>
/// <c>distil merge</c> refuses every incomplete or overlapping set of shard outputs, naming what is
/// wrong. The shard outputs here are written by hand, as a shard writes them (JSONL rows and the
/// keys file beside them), each with one defect.
/// </summary>
public class ShardMergeCheckTests
{
    private const int Total = 20;
    private TempFolder _temp = null!;

    [SetUp]
    public void CreateFolder() => _temp = new TempFolder("distil-merge-");

    [TearDown]
    public void DeleteFolder() => _temp.Dispose();

    // The source rows of shard i of n: their indexes.
    private static List<long> RowsOf(int shard, int of, long total = Total) =>
        Enumerable.Range(0, (int)total).Select(i => (long)i).Where(i => Shard.Of(i, of) == shard).ToList();

    // A shard's output and its keys file; sources: name -> (total, taken) or null for none.
    private string Write(string name, int shard, int of, IReadOnlyList<long> keys, string pipeline = "p", JsonObject? sources = null)
    {
        var path = Path.Combine(_temp.Path, name + ".jsonl");
        File.WriteAllLines(path, keys.Select(k => new JsonObject { ["id"] = k }.ToJsonString()));
        sources ??= new JsonObject { ["load"] = new JsonObject { ["total"] = Total, ["taken"] = keys.Count } };
        var header = new JsonObject { ["format"] = "distil-shard-keys/1", ["shard"] = shard, ["of"] = of, ["rows"] = keys.Count, ["pipeline"] = pipeline, ["sources"] = sources };
        File.WriteAllLines(path + ".distil-shard", [header.ToJsonString(), .. keys.Select(k => k.ToString())]);
        return path;
    }

    private Task<long> MergeAsync(params string[] shards) => ShardMerge.MergeAsync(shards, RowSinks.Jsonl(Path.Combine(_temp.Path, "merged.jsonl")));

    private static string Refusal(Func<Task> merge) =>
        Assert.ThrowsAsync<InvalidDataException>(async () => await merge())!.Message;

    [Test]
    public async Task A_complete_set_merges_in_source_order()
    {
        var written = await MergeAsync(Write("b", 1, 2, RowsOf(1, 2)), Write("a", 0, 2, RowsOf(0, 2)));
        Assert.That(written, Is.EqualTo(Total));
        Assert.That(File.ReadAllLines(Path.Combine(_temp.Path, "merged.jsonl")).Select(l => (long)JsonNode.Parse(l)!["id"]!), Is.EqualTo(Enumerable.Range(0, Total).Select(i => (long)i)));
    }

    [Test]
    public void A_missing_shard_is_named() =>
        Assert.That(Refusal(() => MergeAsync(Write("a", 0, 3, RowsOf(0, 3)), Write("c", 2, 3, RowsOf(2, 3)))), Does.Contain("Shard 1 of 3 is missing"));

    [Test]
    public void A_shard_given_twice_is_named()
    {
        var a = Write("a", 0, 2, RowsOf(0, 2));
        Assert.That(Refusal(() => MergeAsync(a, Write("b", 1, 2, RowsOf(1, 2)), Write("a2", 0, 2, RowsOf(0, 2)))), Does.Contain("Shard 0 of 2 is given twice"));
    }

    [Test]
    public void Shards_of_different_pipelines_are_refused() =>
        Assert.That(Refusal(() => MergeAsync(Write("a", 0, 2, RowsOf(0, 2)), Write("b", 1, 2, RowsOf(1, 2), pipeline: "other"))),
            Does.Contain("comes from pipeline 'other'").And.Contain("merge the shards of one pipeline"));

    [Test]
    public void Shards_of_different_sources_are_refused()
    {
        var b = Write("b", 1, 2, RowsOf(1, 2, 30), sources: new JsonObject { ["load"] = new JsonObject { ["total"] = 30, ["taken"] = RowsOf(1, 2, 30).Count } });
        Assert.That(Refusal(() => MergeAsync(Write("a", 0, 2, RowsOf(0, 2)), b)), Does.Contain("read source 'load' with 30 rows").And.Contain("different data"));
    }

    [Test]
    public void Shards_that_read_different_sources_are_refused()
    {
        var b = Write("b", 1, 2, RowsOf(1, 2), sources: new JsonObject { ["other"] = new JsonObject { ["total"] = Total, ["taken"] = RowsOf(1, 2).Count } });
        Assert.That(Refusal(() => MergeAsync(Write("a", 0, 2, RowsOf(0, 2)), b)), Does.Contain("did not read source 'load'"));
    }

    [Test]
    public void A_shard_that_records_no_source_is_refused()
    {
        var a = Write("a", 0, 2, RowsOf(0, 2), sources: new JsonObject());
        Assert.That(Refusal(() => MergeAsync(a, Write("b", 1, 2, RowsOf(1, 2)))), Does.Contain("did not read source 'load'"));
    }

    [Test]
    public void Shard_counts_that_disagree_are_refused() =>
        Assert.That(Refusal(() => MergeAsync(Write("a", 0, 2, RowsOf(0, 2)), Write("b", 1, 3, RowsOf(1, 3)))), Does.Contain("different splits"));

    [Test]
    public void A_shard_that_took_fewer_rows_than_belong_to_it_is_refused()
    {
        // Shard 0 stopped early (a row limit); shard 1 claims the rest: together they add up.
        var mine = RowsOf(0, 2);
        var a = Write("a", 0, 2, mine.Take(mine.Count - 2).ToList(),
            sources: new JsonObject { ["load"] = new JsonObject { ["total"] = Total, ["taken"] = mine.Count - 2 } });
        var b = Write("b", 1, 2, RowsOf(1, 2), sources: new JsonObject { ["load"] = new JsonObject { ["total"] = Total, ["taken"] = RowsOf(1, 2).Count + 2 } });
        Assert.That(Refusal(() => MergeAsync(a, b)), Does.Contain($"(shard 0 of 2) took {mine.Count - 2} rows of source 'load', but {mine.Count} of its {Total} rows belong to that shard"));
    }

    [Test]
    public void Overlapping_shards_are_refused()
    {
        var a = Write("a", 0, 2, RowsOf(0, 2));
        var b = Write("b", 1, 2, [.. RowsOf(1, 2).Append(RowsOf(0, 2)[0]).Order()], sources: new JsonObject { ["load"] = new JsonObject { ["total"] = Total, ["taken"] = RowsOf(1, 2).Count } });
        Assert.That(Refusal(() => MergeAsync(a, b)), Does.Contain($"The row with key {RowsOf(0, 2)[0]} is in two shards"));
    }
}
