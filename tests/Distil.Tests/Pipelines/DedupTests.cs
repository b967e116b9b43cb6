using System.Text.Json.Nodes;
using Distil.Pipelines;
using NUnit.Framework;

namespace Distil.Tests.Pipelines;

/// <summary>Exact and near-duplicate removal: planted duplicates among random texts.</summary>
public class DedupTests
{
    private string _work = null!;

    [SetUp]
    public void CreateFolder() => _work = Directory.CreateTempSubdirectory("distil-dedup-").FullName;

    [TearDown]
    public void DeleteFolder() => Directory.Delete(_work, recursive: true);

    private async Task<(List<JsonObject> Kept, List<JsonObject> Dropped)> RunAsync(IEnumerable<JsonObject> rows, DedupOptions options)
    {
        var pipeline = Pipeline.Create("dedup");
        pipeline.RunDirectory = Path.Combine(_work, Guid.NewGuid().ToString("N"));
        pipeline.Load(rows).Deduplicate("text", options).KeepColumns("id", "text");
        var result = await pipeline.RunAsync(new PipelineRunOptions { Progress = ProgressMode.None });
        var dropped = File.ReadAllLines(Path.Combine(result.RunDirectory, "duplicates-dedup.jsonl")).Select(l => JsonNode.Parse(l)!.AsObject()).ToList();
        return (await result.Dataset.ToListAsync(), dropped);
    }

    [Test]
    public async Task Planted_near_duplicates_are_found_at_the_threshold_with_few_false_positives_and_exact_copies_always()
    {
        var random = new Random(11);
        var vocabulary = Enumerable.Range(0, 5000).Select(i => $"w{i}").ToArray();
        string Sentence() => string.Join(' ', Enumerable.Range(0, 40).Select(_ => vocabulary[random.Next(vocabulary.Length)]));
        var rows = new List<JsonObject>();
        var planted = new Dictionary<int, int>(); // duplicate id -> original id
        for (var i = 0; i < 2000; i++) rows.Add(new JsonObject { ["id"] = i, ["text"] = Sentence() });
        for (var i = 0; i < 100; i++)
        {
            // One word of forty changed: a Jaccard similarity of about 0.85 over 3-word shingles.
            var original = random.Next(2000);
            var words = ((string)rows[original]["text"]!).Split(' ');
            words[random.Next(words.Length)] = "changed" + i;
            planted[rows.Count] = original;
            rows.Add(new JsonObject { ["id"] = rows.Count, ["text"] = string.Join(' ', words) });
        }
        for (var i = 0; i < 50; i++)
        {
            var original = random.Next(2000);
            planted[rows.Count] = original;
            rows.Add(new JsonObject { ["id"] = rows.Count, ["text"] = rows[original]["text"]!.GetValue<string>().ToUpperInvariant() + "!" });
        }

        var (kept, dropped) = await RunAsync(rows, new DedupOptions { Method = DedupMethod.MinHash, Threshold = 0.7 });

        var droppedIds = dropped.Select(d => int.Parse((string)d["key"]!)).ToHashSet();
        var found = planted.Keys.Count(droppedIds.Contains);
        var falsePositives = droppedIds.Count(id => !planted.ContainsKey(id));
        Assert.That(found, Is.GreaterThanOrEqualTo(142), $"at least 95 % of the 150 planted duplicates found ({found})");
        Assert.That(planted.Keys.Skip(100), Is.SubsetOf(droppedIds), "exact copies (case and punctuation aside) are always dropped");
        Assert.That(falsePositives, Is.LessThanOrEqualTo(10), "at most 0.5 % of the 2,000 random texts");
        Assert.That(dropped.Where(d => planted.ContainsKey(int.Parse((string)d["key"]!))).Select(d => int.Parse((string)d["duplicate_of"]!)),
            Has.All.LessThan(2000), "each is recorded as a duplicate of an earlier row");
        Assert.That(kept.Count + dropped.Count, Is.EqualTo(rows.Count));
        Assert.That(kept.Select(r => (int)r["id"]!).Take(2000 - falsePositives), Is.Ordered, "the first occurrence is kept, in order");
    }

    [Test]
    public async Task Exact_deduplication_ignores_case_space_and_punctuation_and_keeps_the_first()
    {
        var (kept, dropped) = await RunAsync(
        [
            new JsonObject { ["id"] = 0, ["text"] = "Hello, world!" },
            new JsonObject { ["id"] = 1, ["text"] = "hello   WORLD" },
            new JsonObject { ["id"] = 2, ["text"] = "hello there world" },
            new JsonObject { ["id"] = 3, ["text"] = null },
            new JsonObject { ["id"] = 4, ["text"] = null },
        ], new DedupOptions { Method = DedupMethod.Exact });

        Assert.That(kept.Select(r => (int)r["id"]!), Is.EqualTo(new[] { 0, 2, 3, 4 }), "rows without text are kept");
        Assert.That(dropped.Select(d => ((string?)d["key"], (string?)d["duplicate_of"])), Is.EqualTo(new[] { ((string?)"1", (string?)"0") }));
    }

    [TestCase(128, 0.7, 16, 8)]
    [TestCase(128, 0.5, 32, 4)]
    public void Bands_put_the_S_curve_near_the_threshold(int permutations, double threshold, int bands, int rows) =>
        Assert.That(new DedupOptions { Permutations = permutations, Threshold = threshold }.LshBands, Is.EqualTo((bands, rows)));
}
