using System.Text.Json.Nodes;
using Distil.Pipelines;
using NUnit.Framework;

namespace Distil.Tests.Pipelines;

/// <summary>Loaders whose columns a record declares: known before a row is read, checked on every row.</summary>
public class TypedLoadTests
{
    public enum Level { Easy, Hard }

    public sealed record Question(string Instruction, [property: Column("subject")] string? Topic = null, int Points = 1);

    public sealed record Everything(string Text, Level Level, IReadOnlyList<double> Scores, bool Done, Guid Id, JsonNode? Extra);

    public sealed record Nested(string Text, Question Inner);

    private string _work = null!;

    [SetUp]
    public void CreateFolder() => _work = Directory.CreateTempSubdirectory("distil-typed-").FullName;

    [TearDown]
    public void DeleteFolder() => Directory.Delete(_work, recursive: true);

    private Pipeline Create(string name)
    {
        var pipeline = Pipeline.Create(name);
        pipeline.RunDirectory = Path.Combine(_work, name);
        return pipeline;
    }

    [Test]
    public async Task The_record_declares_the_schema_before_any_row_and_the_rows_carry_only_its_columns()
    {
        var file = Path.Combine(_work, "questions.jsonl");
        File.WriteAllLines(file, [
            """{"instruction": "Why is the sky blue?", "subject": "physics", "points": 3, "noise": "dropped"}""",
            """{"instruction": "Name a prime."}""",
        ]);
        var pipeline = Create("typed");
        pipeline.Load<Question>(RowSources.File(file)).Filter(_ => true);

        var schema = (await pipeline.ValidateAsync()).ToString();
        var rows = await (await pipeline.RunAsync(new PipelineRunOptions { Progress = ProgressMode.None })).Dataset.ToListAsync();

        Assert.That(schema, Does.Contain("instruction: string").And.Contain("subject: string").And.Contain("points: int64").And.Not.Contain("noise"));
        Assert.That(rows.Select(r => r.ToJsonString()), Is.EqualTo(new[]
        {
            """{"instruction":"Why is the sky blue?","subject":"physics","points":3}""",
            """{"instruction":"Name a prime."}""",
        }));
    }

    [Test]
    public void A_row_without_a_required_column_stops_the_run_naming_the_row_and_the_column()
    {
        var file = Path.Combine(_work, "questions.jsonl");
        File.WriteAllLines(file, ["""{"instruction": "Fine."}""", """{"question": "Where is my instruction?"}"""]);
        var pipeline = Create("missing");
        pipeline.Load<Question>(RowSources.File(file)).Filter(_ => true);

        var error = Assert.ThrowsAsync<PipelineException>(() => pipeline.RunAsync(new PipelineRunOptions { Progress = ProgressMode.None }));

        Assert.That(error!.ToString(), Does.Contain("Row 1 of").And.Contain("has no column 'instruction', which Question declares (the row has question)"));
    }

    [Test]
    public async Task Records_in_memory_become_rows_with_snake_case_columns_and_their_types()
    {
        var id = Guid.Parse("6f9619ff-8b86-d011-b42d-00c04fc964ff");
        var pipeline = Create("records");
        pipeline.Load([new Everything("a", Level.Hard, [0.5, 1], true, id, new JsonObject { ["k"] = 1 })]).Filter(_ => true);

        var schema = (await pipeline.ValidateAsync()).ToString();
        var row = (await (await pipeline.RunAsync(new PipelineRunOptions { Progress = ProgressMode.None })).Dataset.ToListAsync()).Single();

        Assert.That(schema, Does.Contain("level: enum(Easy|Hard) not null").And.Contain("scores: list<double>").And.Contain("done: bool"));
        Assert.That(row.ToJsonString(), Is.EqualTo("{\"text\":\"a\",\"level\":\"Hard\",\"scores\":[0.5,1],\"done\":true,\"id\":\"" + id + "\",\"extra\":{\"k\":1}}"));
    }

    [Test]
    public void A_record_with_a_nested_record_is_refused_naming_the_property() =>
        Assert.That(() => Create("nested").Load(Array.Empty<Nested>()),
            Throws.ArgumentException.With.Message.Contains("Nested.Inner has type Question, which a typed row cannot hold"));
}
