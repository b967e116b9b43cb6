using System.Text.Json.Nodes;
using Distil.Pipelines;
using Distil.Tests.Support;
using NUnit.Framework;

namespace Distil.Tests.Pipelines;

/// <summary>Rows from nothing with seeded columns: their distributions, their reproducibility, their JSON form.</summary>
public class SamplerTests
{
    private const int Rows = 20_000;

    private static async Task<List<JsonObject>> ReadAsync(IRowSource source) => await source.ReadAsync(CancellationToken.None).ToListAsync();

    private static SampleSource Source(int seed = 7) => RowSources.Sample(Rows, seed, new Dictionary<string, SampledColumn>
    {
        ["topic"] = SampledColumn.Category(new Dictionary<string, double> { ["maths"] = 5, ["history"] = 3, ["art"] = 2 }),
        ["subtopic"] = SampledColumn.Subcategory("topic", new Dictionary<string, IReadOnlyList<string>>
        {
            ["maths"] = ["algebra", "geometry"], ["history"] = ["rome", "china"], ["art"] = ["painting"],
        }),
        ["level"] = SampledColumn.Uniform(1, 5, integers: true),
        ["score"] = SampledColumn.Gaussian(10, 2),
        ["hard"] = SampledColumn.Bernoulli(0.25),
        ["steps"] = SampledColumn.Poisson(3),
        ["id"] = SampledColumn.Uuid(),
        ["when"] = SampledColumn.DateTime(new DateTimeOffset(2024, 1, 1, 0, 0, 0, TimeSpan.Zero), new DateTimeOffset(2024, 12, 31, 0, 0, 0, TimeSpan.Zero)),
    });

    [Test]
    public async Task Categories_follow_their_weights_by_a_chi_square_test()
    {
        var rows = await ReadAsync(Source());
        var observed = new[] { "maths", "history", "art" }.Select(t => (double)rows.Count(r => (string?)r["topic"] == t)).ToArray();
        var expected = new[] { 0.5, 0.3, 0.2 }.Select(p => p * Rows).ToArray();
        var chiSquare = observed.Zip(expected, (o, e) => (o - e) * (o - e) / e).Sum();
        Assert.That(chiSquare, Is.LessThan(13.82), "below the 0.1 % critical value for 2 degrees of freedom");
        Assert.That(rows.Where(r => (string?)r["topic"] == "history").Select(r => (string?)r["subtopic"]), Has.All.AnyOf("rome", "china"), "subcategories follow their category");
    }

    [Test]
    public async Task Numbers_have_the_moments_they_are_drawn_with()
    {
        var rows = await ReadAsync(Source());
        double Value(JsonObject row, string column) => double.Parse(row[column]!.ToJsonString(), System.Globalization.CultureInfo.InvariantCulture);
        double Mean(string column) => rows.Average(r => Value(r, column));
        double Variance(string column) { var mean = Mean(column); return rows.Average(r => Math.Pow(Value(r, column) - mean, 2)); }

        Assert.That(rows.Select(r => (long)r["level"]!).Distinct().Order(), Is.EqualTo(new long[] { 1, 2, 3, 4, 5 }), "integers, both ends included");
        Assert.That(Mean("level"), Is.EqualTo(3).Within(0.05));
        Assert.That(Mean("score"), Is.EqualTo(10).Within(0.06));
        Assert.That(Math.Sqrt(Variance("score")), Is.EqualTo(2).Within(0.05));
        Assert.That(rows.Count(r => (bool)r["hard"]!) / (double)Rows, Is.EqualTo(0.25).Within(0.015));
        Assert.That(Mean("steps"), Is.EqualTo(3).Within(0.06));
        Assert.That(Variance("steps"), Is.EqualTo(3).Within(0.15), "a Poisson's variance equals its mean");
        Assert.That(rows.Select(r => (string)r["id"]!), Is.Unique.And.All.Match("^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$"));
        Assert.That(rows.Select(r => DateTimeOffset.Parse((string)r["when"]!)), Has.All.InRange(new DateTimeOffset(2024, 1, 1, 0, 0, 0, TimeSpan.Zero), new DateTimeOffset(2024, 12, 31, 0, 0, 0, TimeSpan.Zero)));
    }

    [Test]
    public async Task The_same_seed_gives_the_same_rows_and_a_row_does_not_depend_on_the_rows_before_it()
    {
        var first = await ReadAsync(Source(seed: 3));
        var again = await ReadAsync(Source(seed: 3));
        var other = await ReadAsync(Source(seed: 4));

        Assert.That(again.Select(r => r.ToJsonString()), Is.EqualTo(first.Select(r => r.ToJsonString())));
        Assert.That(other[0].ToJsonString(), Is.Not.EqualTo(first[0].ToJsonString()));
        Assert.That(Source(seed: 3).Row(12_345).ToJsonString(), Is.EqualTo(first[12_345].ToJsonString()));
    }

    [Test]
    public async Task The_JSON_form_reads_like_the_CSharp_one_and_declares_typed_columns()
    {
        var spec = (JsonObject)JsonNode.Parse("""
            {"rows": 50, "seed": 7, "columns": {
              "topic": {"category": {"maths": 5, "history": 3, "art": 2}},
              "level": {"uniform": [1, 5], "integers": true},
              "hard": {"bernoulli": 0.25}
            }}
            """)!;

        var source = RowSources.Sample(spec);
        var schema = await source.SchemaAsync(CancellationToken.None);

        Assert.That(schema!.ToString(), Does.Contain("topic: enum(maths|history|art)").And.Contain("level: int64").And.Contain("hard: bool"));
        Assert.That(await ReadAsync(source), Has.Count.EqualTo(50));
    }

    [TestCase("""{"rows": 5, "columns": {"a": {"category": ["x"], "uniform": [1, 2]}}}""", "Sample column 'a': give exactly one of")]
    [TestCase("""{"rows": 5, "columns": {"a": {"gaussian": [0]}}}""", "Sample column 'a': \"gaussian\" is [mean, standard deviation]")]
    [TestCase("""{"rows": 5, "columns": {"a": {"subcategory": {"of": "nope", "values": {}}}}}""", "depends on 'nope', which is not a column")]
    [TestCase("""{"columns": {"a": {"uuid": true}}}""", "\"rows\" (how many rows to make) must be a number")]
    public void A_malformed_spec_names_what_is_wrong(string json, string message) =>
        Assert.That(() => RowSources.Sample((JsonObject)JsonNode.Parse(json)!), Throws.TypeOf<FormatException>().With.Message.Contains(message));
}

/// <summary>SFT messages and DPO pairs, from answers and ratings.</summary>
public class FineTuningFormatTests
{
    private TempFolder _temp = null!;

    [SetUp]
    public void CreateFolder() => _temp = new TempFolder("distil-formats-");

    [TearDown]
    public void DeleteFolder() => _temp.Dispose();

    private async Task<List<JsonObject>> RunAsync(IEnumerable<JsonObject> rows, Func<StepHandle, StepHandle> steps)
    {
        var pipeline = Pipeline.Create("formats");
        pipeline.RunDirectory = Path.Combine(_temp.Path, Guid.NewGuid().ToString("N"));
        steps(pipeline.Load(rows));
        var result = await pipeline.RunAsync(new PipelineRunOptions { Progress = ProgressMode.None });
        return await result.Dataset.ToListAsync();
    }

    private static JsonObject Row(string prompt, JsonArray generations, JsonArray ratings) =>
        new() { ["instruction"] = prompt, ["generations"] = generations, ["ratings"] = ratings };

    [Test]
    public async Task DPO_pairs_are_chosen_as_the_ratings_say()
    {
        var rows = await RunAsync(
        [
            Row("plain", new JsonArray("a", "b", "c"), new JsonArray(3, 5, 1)),
            Row("tie at the top", new JsonArray("a", "b", "c"), new JsonArray(4, 4, 2)),
            Row("tie at the bottom", new JsonArray("a", "b", "c"), new JsonArray(5, 1, 1)),
            Row("all equal", new JsonArray("a", "b"), new JsonArray(3, 3)),
            Row("a missing rating", new JsonArray("a", "b", "c"), new JsonArray(null, 2, 4)),
            Row("one rated", new JsonArray("a", "b"), new JsonArray(null, 2)),
            Row("a failed answer", new JsonArray(null, "b", "c"), new JsonArray(5, 2, 4)),
        ], s => s.FormatDpo());

        Assert.That(rows.Select(r => $"{r["prompt"]}|{r["chosen"]}|{r["rejected"]}|{r["chosen_rating"]}|{r["rejected_rating"]}"), Is.EqualTo(new[]
        {
            "plain|b|c|5|1",
            "tie at the top|a|c|4|2",
            "tie at the bottom|a|c|5|1",
            "a missing rating|c|b|4|2",
            "a failed answer|c|b|4|2",
        }), "rows without two different ratings are left out");
    }

    [Test]
    public async Task SFT_messages_hold_the_system_prompt_the_prompt_and_each_answer()
    {
        var rows = await RunAsync(
        [
            new JsonObject { ["instruction"] = "q1", ["generation"] = "a1" },
            new JsonObject { ["instruction"] = "q2", ["generation"] = null },
            new JsonObject { ["instruction"] = "q3", ["generation"] = new JsonArray("a3", null, "b3") },
        ], s => s.FormatSft(system: "Be kind."));

        Assert.That(rows.Select(r => r["messages"]!.ToJsonString()), Is.EqualTo(new[]
        {
            """[{"role":"system","content":"Be kind."},{"role":"user","content":"q1"},{"role":"assistant","content":"a1"}]""",
            """[{"role":"system","content":"Be kind."},{"role":"user","content":"q3"},{"role":"assistant","content":"a3"}]""",
            """[{"role":"system","content":"Be kind."},{"role":"user","content":"q3"},{"role":"assistant","content":"b3"}]""",
        }));
    }

    [Test]
    public async Task Integer_ratings_stay_integers_through_both_formats_into_Parquet_and_JSONL()
    {
        var parquet = Path.Combine(_temp.Path, "pairs.parquet");
        var jsonl = Path.Combine(_temp.Path, "pairs.jsonl");
        var pipeline = Pipeline.Create("types");
        pipeline.RunDirectory = Path.Combine(_temp.Path, "run");
        var row = Row("p", new JsonArray("a", "b", "c"), new JsonArray(3, 5, 1));
        row["points"] = 7;
        var sft = pipeline.Load([row]).FormatDpo().FormatSft(prompt: "prompt", completion: "chosen");
        sft.Write(parquet);
        sft.Write(jsonl);

        var schema = (await pipeline.ValidateAsync()).ToString();
        await pipeline.RunAsync(new PipelineRunOptions { Progress = ProgressMode.None });

        Assert.That(schema, Does.Contain("chosen_rating: int64").And.Contain("rejected_rating: int64").And.Contain("points: int64"));
        Assert.That(File.ReadAllText(jsonl), Does.Contain("\"chosen_rating\":5,").And.Contain("\"rejected_rating\":1,").And.Contain("\"points\":7"));
        foreach (var file in new[] { parquet, jsonl })
        {
            var types = Duck.Describe(file);
            Assert.That((types["chosen_rating"], types["rejected_rating"], types["points"]), Is.EqualTo(("BIGINT", "BIGINT", "BIGINT")), file);
            Assert.That(types["ratings"], Is.EqualTo("BIGINT[]"), file);
            Assert.That(Duck.Scalar($"SELECT chosen_rating - rejected_rating FROM '{file}'"), Is.EqualTo(4L), file);
        }
    }

    [Test]
    public async Task Fractional_ratings_stay_numbers_and_keep_their_value()
    {
        var rows = await RunAsync([Row("p", new JsonArray("a", "b"), new JsonArray(2.5, 4.25))], s => s.FormatDpo());
        var pipeline = Pipeline.Create("schema");
        pipeline.Load([Row("p", new JsonArray("a", "b"), new JsonArray(2.5, 4))]).FormatDpo();

        Assert.That((await pipeline.ValidateAsync()).ToString(), Does.Contain("chosen_rating: double"));
        Assert.That(rows.Single()["chosen_rating"]!.ToJsonString() + "|" + rows.Single()["rejected_rating"]!.ToJsonString(), Is.EqualTo("4.25|2.5"));
    }

    [Test]
    public async Task The_formats_declare_their_columns_before_the_run()
    {
        var pipeline = Pipeline.Create("schema");
        pipeline.Load([Row("p", new JsonArray("a", "b"), new JsonArray(1, 2))]).FormatDpo().FormatSft(prompt: "prompt", completion: "chosen");

        var schema = (await pipeline.ValidateAsync()).ToString();

        Assert.That(schema, Does.Contain("chosen: string").And.Contain("chosen_rating: int64").And.Contain("messages: list<struct<role: string, content: string>>"));
        var missing = Pipeline.Create("missing");
        missing.Load([new JsonObject { ["question"] = "q" }]).FormatSft();
        Assert.That(async () => await missing.ValidateAsync(), Throws.TypeOf<PipelineException>().With.Message.Contains("instruction"));
    }
}
