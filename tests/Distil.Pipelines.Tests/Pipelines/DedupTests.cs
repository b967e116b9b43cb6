using System.Text.Json.Nodes;
using Distil.Pipelines;
using Distil.Tests.Support;
using Distil.USearch;
using NUnit.Framework;

namespace Distil.Tests.Pipelines;

/// <summary>Exact, near-duplicate and semantic removal: planted duplicates among random texts and vectors.</summary>
public class DedupTests
{
    private TempFolder _temp = null!;

    [SetUp]
    public void CreateFolder() => _temp = new TempFolder("distil-dedup-");

    [TearDown]
    public void DeleteFolder() => _temp.Dispose();

    private async Task<(List<JsonObject> Kept, List<JsonObject> Dropped)> RunAsync(IEnumerable<JsonObject> rows, DedupOptions options)
    {
        var pipeline = Pipeline.Create("dedup");
        pipeline.RunDirectory = Path.Combine(_temp.Path, Guid.NewGuid().ToString("N"));
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

    [Test]
    public async Task Planted_paraphrase_embeddings_are_found_by_cosine_similarity_and_the_same_rows_go_on_every_run()
    {
        // 2,000 random directions in 64 dimensions (their cosines stay near 0), 100 planted near copies
        // (cosine about 0.97 with their original) and 50 exact copies.
        var random = new Random(5);
        float[] Unit(float[] v) { var n = MathF.Sqrt(v.Sum(x => x * x)); return v.Select(x => x / n).ToArray(); }
        float[] RandomVector() => Unit(Enumerable.Range(0, 64).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray());
        var vectors = Enumerable.Range(0, 2000).Select(_ => RandomVector()).ToList();
        var planted = new Dictionary<int, int>();
        for (var i = 0; i < 150; i++)
        {
            var original = random.Next(2000);
            planted[vectors.Count] = original;
            vectors.Add(i < 100 ? Unit(vectors[original].Zip(RandomVector(), (a, b) => a + 0.25f * b).ToArray()) : vectors[original]);
        }
        IEnumerable<JsonObject> Rows() => vectors.Select((v, i) => new JsonObject { ["id"] = i, ["text"] = new JsonArray([.. v.Select(x => (JsonNode?)x)]) });
        var options = new DedupOptions { Method = DedupMethod.Embedding, Threshold = 0.9, VectorIndex = HnswVectorIndex.Factory() };

        var (kept, dropped) = await RunAsync(Rows(), options);

        var droppedIds = dropped.Select(d => int.Parse((string)d["key"]!)).ToList();
        Assert.That(droppedIds, Is.EquivalentTo(planted.Keys), "every planted copy, and no random row");
        Assert.That(dropped.Select(d => (int.Parse((string)d["key"]!), int.Parse((string)d["duplicate_of"]!))),
            Is.EquivalentTo(planted.Select(p => (p.Key, p.Value))), "each recorded as a copy of its original");
        Assert.That(dropped.Select(d => (double)d["similarity"]!), Has.All.GreaterThanOrEqualTo(0.9));
        Assert.That(dropped.Where(d => int.Parse((string)d["key"]!) >= 2100).Select(d => (double)d["similarity"]!), Has.All.GreaterThan(0.999), "exact copies");
        Assert.That(kept.Select(r => (int)r["id"]!), Is.EqualTo(Enumerable.Range(0, 2000)), "the first occurrences, in order");

        var (keptAgain, droppedAgain) = await RunAsync(Rows(), options);
        Assert.That(droppedAgain.Select(d => d.ToJsonString()), Is.EqualTo(dropped.Select(d => d.ToJsonString())), "the same decisions on a second run");
    }

    [Test]
    public void A_row_whose_column_is_not_an_embedding_is_named()
    {
        var error = Assert.ThrowsAsync<PipelineException>(() => RunAsync(
        [
            new JsonObject { ["id"] = 0, ["text"] = new JsonArray(0.1, 0.2) },
            new JsonObject { ["id"] = 1, ["text"] = "not a vector" },
        ], new DedupOptions { Method = DedupMethod.Embedding, VectorIndex = HnswVectorIndex.Factory() }));

        Assert.That(error!.ToString(), Does.Contain("row 1 has no embedding in 'text'").And.Contain("the string \"not a vector\""));
    }

    [Test]
    public void Embeddings_of_different_lengths_are_refused()
    {
        var error = Assert.ThrowsAsync<PipelineException>(() => RunAsync(
        [
            new JsonObject { ["id"] = 0, ["text"] = new JsonArray(0.1, 0.2) },
            new JsonObject { ["id"] = 1, ["text"] = new JsonArray(0.1, 0.2, 0.3) },
        ], new DedupOptions { Method = DedupMethod.Embedding, VectorIndex = HnswVectorIndex.Factory() }));

        Assert.That(error!.ToString(), Does.Contain("Row 1's embedding has 3 numbers, the earlier rows' 2"));
    }

    [Test]
    public void Deduplicating_by_embeddings_without_a_vector_index_says_which_package_gives_one() =>
        Assert.That(() => Pipeline.Create("x").Load([new JsonObject { ["text"] = "a" }]).Deduplicate("text", new DedupOptions { Method = DedupMethod.Embedding }),
            Throws.ArgumentException.With.Message.Contains("add the Distil.USearch package and set VectorIndex = HnswVectorIndex.Factory()"));

    // Jaccard similarity of two texts' sets of 3-word shingles, as the dedup step shingles them.
    private static double Jaccard(string a, string b)
    {
        static HashSet<string> Shingles(string text)
        {
            var words = text.Split(' ');
            return Enumerable.Range(0, words.Length - 2).Select(i => string.Join(' ', words, i, 3)).ToHashSet();
        }
        var (x, y) = (Shingles(a), Shingles(b));
        return (double)x.Intersect(y).Count() / x.Union(y).Count();
    }

    [Test]
    public async Task MinHash_drops_pairs_above_the_threshold_and_keeps_pairs_below_it()
    {
        // 40 pairs at each of four planted similarities around the 0.7 threshold: a text of forty
        // words, and a copy with k words changed seven apart (each change breaks three of its 38
        // shingles: 1 change 0.85, 3 changes 0.62, 5 changes 0.43) or its last word changed (0.95).
        var random = new Random(17);
        string Word() => $"w{random.Next(100_000)}";
        var rows = new List<JsonObject>();
        var pairs = new Dictionary<string, List<(int Original, int Copy)>>();
        void Plant(string level, int changes, bool last, double low, double high)
        {
            pairs[level] = [];
            for (var i = 0; i < 40; i++)
            {
                var words = Enumerable.Range(0, 40).Select(_ => Word()).ToArray();
                var copy = (string[])words.Clone();
                if (last) copy[^1] = Word();
                for (var c = 0; c < changes; c++) copy[4 + 7 * c] = Word();
                var (original, changed) = (string.Join(' ', words), string.Join(' ', copy));
                Assert.That(Jaccard(original, changed), Is.InRange(low, high), $"planted similarity of the {level} pairs");
                pairs[level].Add((rows.Count, rows.Count + 1));
                rows.Add(new JsonObject { ["id"] = rows.Count, ["text"] = original });
                rows.Add(new JsonObject { ["id"] = rows.Count, ["text"] = changed });
            }
        }
        Plant("0.95", 0, last: true, 0.94, 0.96);
        Plant("0.85", 1, last: false, 0.84, 0.86);
        Plant("0.62", 3, last: false, 0.61, 0.62);
        Plant("0.43", 5, last: false, 0.43, 0.44);

        var (_, dropped) = await RunAsync(rows, new DedupOptions { Method = DedupMethod.MinHash, Threshold = 0.7 });

        var droppedIds = dropped.Select(d => int.Parse((string)d["key"]!)).ToHashSet();
        int Dropped(string level) => pairs[level].Count(p => droppedIds.Contains(p.Copy));
        Assert.That(droppedIds.Where(id => id % 2 == 0), Is.Empty, "an original is never dropped");
        // LSH with 16 bands of 8 rows drops a pair of similarity s with chance 1 - (1 - s^8)^16:
        // 1.00 at 0.95, 0.99 at 0.85, 0.29 at 0.62, 0.02 at 0.43.
        Assert.That(Dropped("0.95"), Is.EqualTo(40), "copies far above the threshold are all dropped");
        Assert.That(Dropped("0.85"), Is.GreaterThanOrEqualTo(36), "copies above the threshold are dropped");
        Assert.That(Dropped("0.62"), Is.LessThanOrEqualTo(18), "most distinct texts just below the threshold are kept");
        Assert.That(Dropped("0.43"), Is.LessThanOrEqualTo(3), "distinct texts well below the threshold are kept");
    }

    [Test]
    public async Task Embeddings_just_below_the_cosine_threshold_are_kept_and_just_above_are_dropped()
    {
        // 40 originals, each followed by a copy at an exact cosine: 0.92 (above 0.9) or 0.88 (below).
        var random = new Random(23);
        double[] Unit(double[] v) { var n = Math.Sqrt(v.Sum(x => x * x)); return v.Select(x => x / n).ToArray(); }
        double[] RandomVector() => Unit(Enumerable.Range(0, 64).Select(_ => random.NextDouble() * 2 - 1).ToArray());
        var vectors = new List<double[]>();
        var above = new List<int>();
        var below = new List<int>();
        for (var i = 0; i < 40; i++)
        {
            var original = RandomVector();
            var other = RandomVector();
            var along = original.Zip(other).Sum(p => p.First * p.Second);
            var orthogonal = Unit(other.Zip(original, (o, u) => o - along * u).ToArray());
            var cosine = i % 2 == 0 ? 0.92 : 0.88;
            (i % 2 == 0 ? above : below).Add(vectors.Count + 1);
            vectors.Add(original);
            vectors.Add(original.Zip(orthogonal, (u, w) => cosine * u + Math.Sqrt(1 - cosine * cosine) * w).ToArray());
        }
        var rows = vectors.Select((v, i) => new JsonObject { ["id"] = i, ["text"] = new JsonArray([.. v.Select(x => (JsonNode?)x)]) });

        var (_, dropped) = await RunAsync(rows, new DedupOptions { Method = DedupMethod.Embedding, Threshold = 0.9, VectorIndex = HnswVectorIndex.Factory() });

        Assert.That(dropped.Select(d => int.Parse((string)d["key"]!)), Is.EquivalentTo(above), "the copies at 0.92, and none at 0.88");
        Assert.That(dropped.Select(d => (double)d["similarity"]!), Has.All.InRange(0.919, 0.921));
    }

    [TestCase(128, 0.7, 16, 8)]
    [TestCase(128, 0.5, 32, 4)]
    public void Bands_put_the_S_curve_near_the_threshold(int permutations, double threshold, int bands, int rows) =>
        Assert.That(new DedupOptions { Permutations = permutations, Threshold = threshold }.LshBands, Is.EqualTo((bands, rows)));
}
