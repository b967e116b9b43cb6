using System.Text.Json.Nodes;
using Distil.Pipelines;
using Distil.Tests.Support;
using NUnit.Framework;

namespace Distil.Tests.Pipelines;

/// <summary>Seeded people (Distil.Personas): reproducible rows, typed columns in Parquet, locales, the distributions asked for.</summary>
public class PersonSamplerTests
{
    private TempFolder _temp = null!;

    [SetUp]
    public void CreateWorkFolder() => _temp = new TempFolder("distil-people-");

    [TearDown]
    public void DeleteWorkFolder() => _temp.Dispose();

    private static async Task<List<JsonObject>> ReadAsync(IRowSource source) => await source.ReadAsync(CancellationToken.None).ToListAsync();

    [Test]
    public async Task The_same_seed_gives_the_same_people_and_another_seed_other_people()
    {
        var options = new PersonOptions { Locales = new Dictionary<string, double> { ["en"] = 1, ["de"] = 1, ["fr"] = 1 } };
        var first = await ReadAsync(RowSources.People(50, seed: 11, options));
        var again = await ReadAsync(RowSources.People(50, seed: 11, options));
        var other = await ReadAsync(RowSources.People(50, seed: 12, options));

        Assert.That(again.Select(r => r.ToJsonString()), Is.EqualTo(first.Select(r => r.ToJsonString())));
        Assert.That(other.Select(r => (string?)r["name"]), Is.Not.EqualTo(first.Select(r => (string?)r["name"])));
        Assert.That(first.Select(r => (string?)r["name"]).Distinct().Count(), Is.GreaterThan(40), "people, not one person 50 times");
        var source = RowSources.People(50, seed: 11, options);
        Assert.That(source.Row(37).ToJsonString(), Is.EqualTo(first[37].ToJsonString()), "row 37 is the same read alone, as a resumed run reads it");
    }

    [Test]
    public async Task Every_column_is_typed_in_Parquet()
    {
        var parquet = Path.Combine(_temp.Path, "people.parquet");
        var pipeline = Pipeline.Create("people");
        pipeline.RunDirectory = Path.Combine(_temp.Path, "run");
        pipeline.Load(RowSources.Sample(20, seed: 3,
            new Dictionary<string, SampledColumn> { ["topic"] = SampledColumn.Category("taxes", "travel") },
            new Dictionary<string, SampledColumnGroup> { ["people"] = new PersonSampler(new PersonOptions { ColumnPrefix = "persona_" }) }))
            .Write(parquet);

        await pipeline.RunAsync(new PipelineRunOptions { Progress = ProgressMode.None });

        var types = Duck.Describe(parquet);
        Assert.That(types["persona_age"], Is.EqualTo("BIGINT"));
        foreach (var text in new[] { "persona_name", "persona_first_name", "persona_last_name", "persona_sex", "persona_locale", "persona_country", "persona_city", "persona_occupation", "persona_handle", "persona_persona", "topic" })
            Assert.That(types[text], Is.EqualTo("VARCHAR"), text);
        Assert.That(Duck.Scalar($"SELECT count(*) FROM '{parquet}' WHERE persona_age BETWEEN 18 AND 80 AND persona_country = 'United States'"), Is.EqualTo(20L));
    }

    [Test]
    public async Task A_german_locale_gives_german_names_cities_and_country()
    {
        var german = await ReadAsync(RowSources.People(300, seed: 5, new PersonOptions { Locales = new Dictionary<string, double> { ["de"] = 1 } }));
        var english = await ReadAsync(RowSources.People(300, seed: 5));

        Assert.That(german.Select(r => (string?)r["locale"]), Has.All.EqualTo("de"));
        Assert.That(german.Select(r => (string?)r["country"]), Has.All.EqualTo("Germany"));
        // Bogus' German last names (Müller, Schmidt…) and English ones (Smith, Johnson…) barely meet.
        var germanLastNames = german.Select(r => (string)r["last_name"]!).ToHashSet();
        var englishLastNames = english.Select(r => (string)r["last_name"]!).ToHashSet();
        Assert.That(germanLastNames.Intersect(englishLastNames).Count(), Is.LessThan(germanLastNames.Count / 10));
        Assert.That(german.Count(r => ((string)r["name"]!).IndexOfAny(['ä', 'ö', 'ü', 'ß', 'Ä', 'Ö', 'Ü']) >= 0), Is.GreaterThan(0), "umlauts in German names");
    }

    [Test]
    public async Task Ages_stay_in_range_and_the_sex_ratio_and_locale_weights_hold_over_2000_people()
    {
        var options = new PersonOptions
        {
            Locales = new Dictionary<string, double> { ["en"] = 3, ["de"] = 1 },
            MinAge = 25, MaxAge = 40, FemaleShare = 0.7,
        };
        var people = await ReadAsync(RowSources.People(2000, seed: 9, options));

        var ages = people.Select(r => (int)r["age"]!).ToList();
        Assert.That(ages, Has.All.InRange(25, 40));
        Assert.That(ages.Distinct().Count(), Is.EqualTo(16), "every age from 25 to 40 is drawn");
        Assert.That(people.Count(r => (string?)r["sex"] == "female") / 2000.0, Is.EqualTo(0.7).Within(0.035), "about 3 standard deviations");
        Assert.That(people.Count(r => (string?)r["locale"] == "en") / 2000.0, Is.EqualTo(0.75).Within(0.03));

        var around = await ReadAsync(RowSources.People(2000, seed: 9, options with { MinAge = 18, MaxAge = 90, AgeMean = 45, AgeStandardDeviation = 8 }));
        var aroundAges = around.Select(r => (int)r["age"]!).ToList();
        Assert.That(aroundAges, Has.All.InRange(18, 90));
        Assert.That(aroundAges.Average(), Is.EqualTo(45).Within(0.6));
        Assert.That(Math.Sqrt(aroundAges.Average(a => Math.Pow(a - aroundAges.Average(), 2))), Is.EqualTo(8).Within(0.5));
    }

    [Test]
    public void The_json_form_reads_people_and_refuses_an_unknown_locale_by_name()
    {
        var source = RowSources.Sample(JsonNode.Parse("""
            { "rows": 10, "seed": 1, "people": { "locales": { "fr": 1 }, "age": [30, 31], "female_share": 1, "prefix": "p_" },
              "columns": { "topic": { "category": ["a", "b"] } } }
            """)!.AsObject());
        var row = source.Row(0);
        Assert.That(((string?)row["p_locale"], (string?)row["p_sex"], (string?)row["p_country"]), Is.EqualTo(("fr", "female", "France")));
        Assert.That((int)row["p_age"]!, Is.InRange(30, 31));
        Assert.That(source.Describe(), Does.Contain("people(bogus 35.6.5; locales fr:1"));

        var error = Assert.Throws<FormatException>(() => RowSources.Sample(JsonNode.Parse("""{ "rows": 1, "people": { "locales": ["xx_YY"] } }""")!.AsObject()));
        Assert.That(error!.Message, Does.StartWith("Sample \"people\": Bogus has no locale 'xx_YY'; it has ").And.Contain("de_AT"));
        var clash = Assert.Throws<FormatException>(() => RowSources.Sample(JsonNode.Parse("""{ "rows": 1, "people": {}, "columns": { "age": { "uuid": true } } }""")!.AsObject()));
        Assert.That(clash!.Message, Does.Contain("Sample group 'people' writes column 'age', which column 'age' writes too"));
    }
}
