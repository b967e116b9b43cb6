using System.Text.Json.Nodes;
using Distil.Pipelines;
using Distil.Tests.Support;
using NUnit.Framework;

namespace Distil.Tests.Pipelines;

/// <summary>Loaders whose columns a record declares: known before a row is read, checked on every row.</summary>
public class TypedLoadTests
{
    public enum Level { Easy, Hard }

    public sealed record Question(string Instruction, [property: Column("subject")] string? Topic = null, int Points = 1);

    public sealed record Everything(string Text, Level Level, IReadOnlyList<double> Scores, bool Done, Guid Id, JsonNode? Extra);

    public sealed record Nested(string Text, Question Inner);

    public sealed record Ticket(
        string Text,
        int Points,
        long Views,
        double Score,
        decimal Price,
        bool Urgent,
        int? Rank,
        IReadOnlyList<string> Tags,
        [CsvList("|")] IReadOnlyList<string> Labels,
        [CsvList(";")] IReadOnlyList<int> Votes,
        IReadOnlyList<double> Weights,
        Level Level,
        bool? Reviewed,
        string? Note,
        int Priority = 2);

    public sealed record Misdeclared([property: CsvList("|")] string Text);

    private const string TicketHeader = "text,points,views,score,price,urgent,rank,tags,labels,votes,weights,level,reviewed,note,priority";

    private TempFolder _temp = null!;

    [SetUp]
    public void CreateFolder() => _temp = new TempFolder("distil-typed-");

    [TearDown]
    public void DeleteFolder() => _temp.Dispose();

    private Pipeline Create(string name)
    {
        var pipeline = Pipeline.Create(name);
        pipeline.RunDirectory = Path.Combine(_temp.Path, name);
        return pipeline;
    }

    [Test]
    public async Task The_record_declares_the_schema_before_any_row_and_the_rows_carry_only_its_columns()
    {
        var file = Path.Combine(_temp.Path, "questions.jsonl");
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
        var file = Path.Combine(_temp.Path, "questions.jsonl");
        File.WriteAllLines(file, ["""{"instruction": "Fine."}""", """{"question": "Where is my instruction?"}"""]);
        var pipeline = Create("missing");
        pipeline.Load<Question>(RowSources.File(file)).Filter(_ => true);

        var error = Assert.ThrowsAsync<PipelineException>(() => pipeline.RunAsync(new PipelineRunOptions { Progress = ProgressMode.None }));

        Assert.That(error!.ToString(), Does.Contain("Row 2 of").And.Contain("(counted from 1) has no column 'instruction', which Question declares (the row has question)"));
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
    public async Task A_CSV_loaded_as_a_record_gives_typed_columns_that_DuckDB_reads_from_the_Parquet()
    {
        var file = Path.Combine(_temp.Path, "tickets.csv");
        var parquet = Path.Combine(_temp.Path, "tickets.parquet");
        File.WriteAllText(file, TicketHeader + "\n"
            + "\"Printer, jammed\",3,12345678901,0.5,9.99,TRUE,,\"[\"\"a\"\",\"\"b\"\"]\",hardware | urgent,3;4,\"[0.5, 1]\",hard,,,\n"
            + "Screen,-2,0,1e3,0,0,7,[],,,[],Easy,false,ok,5\n");
        var pipeline = Create("csv");
        var tickets = pipeline.Load<Ticket>(RowSources.Csv(file));
        tickets.Write(parquet);
        tickets.Filter(_ => true);

        var schema = (await pipeline.ValidateAsync()).ToString();
        var rows = await (await pipeline.RunAsync(new PipelineRunOptions { Progress = ProgressMode.None })).Dataset.ToListAsync();

        Assert.That(schema, Does.Contain("points: int64 not null").And.Contain("urgent: bool not null").And.Contain("labels: list<string>").And.Contain("votes: list<int64>"));
        Assert.That(rows.Select(r => r.ToJsonString()), Is.EqualTo(new[]
        {
            """{"text":"Printer, jammed","points":3,"views":12345678901,"score":0.5,"price":9.99,"urgent":true,"rank":null,"tags":["a","b"],"labels":["hardware","urgent"],"votes":[3,4],"weights":[0.5,1],"level":"Hard","reviewed":null,"note":null}""",
            """{"text":"Screen","points":-2,"views":0,"score":1000,"price":0,"urgent":false,"rank":7,"tags":[],"labels":[],"votes":[],"weights":[],"level":"Easy","reviewed":false,"note":"ok","priority":5}""",
        }), "an empty cell is null when the type is nullable, the default when it has one (priority left out), an empty list for a list");
        var types = Duck.Describe(parquet);
        Assert.That(new[] { types["points"], types["views"], types["score"], types["price"], types["urgent"], types["rank"] },
            Is.EqualTo(new[] { "BIGINT", "BIGINT", "DOUBLE", "DOUBLE", "BOOLEAN", "BIGINT" }));
        Assert.That(new[] { types["tags"], types["labels"], types["votes"], types["weights"], types["reviewed"] },
            Is.EqualTo(new[] { "VARCHAR[]", "VARCHAR[]", "BIGINT[]", "DOUBLE[]", "BOOLEAN" }));
        Assert.That(Duck.Scalar($"SELECT CAST(sum(points) + sum(list_sum(votes)) AS BIGINT) FROM '{parquet}'"), Is.EqualTo(8L), "numbers DuckDB adds up");
    }

    [TestCase("three", "row 2, column 'points': 'three' is not a whole number (int)")]
    [TestCase("3.5", "row 2, column 'points': '3.5' is not a whole number (int)")]
    [TestCase("99999999999", "row 2, column 'points': '99999999999' does not fit int")]
    [TestCase("", "row 2, column 'points': the cell is empty, and Ticket.Points (int) needs a value; make it nullable (int?) or give it a default")]
    public void A_number_cell_that_does_not_fit_stops_the_load_naming_the_row_and_the_column(string points, string message) =>
        AssertLoadFails(TicketHeader + $"\nt,{points},1,1,1,true,,[],,,[],Easy,,,\n", message);

    [TestCase("urgent", "maybe", "row 2, column 'urgent': 'maybe' is not a boolean (true, false, 1 or 0)")]
    [TestCase("tags", "a|b", "row 2, column 'tags': 'a|b' is not a JSON array such as [\"a\",\"b\"] or [1,2]; to split text on a separator, declare it on the property: [CsvList(\"|\")] on Ticket.Tags")]
    [TestCase("tags", "[1]", "row 2, column 'tags': item 1 of '[1]': 1 is not text")]
    [TestCase("weights", "[0.5,\"x\"]", "row 2, column 'weights': item 2 of '[0.5,\"x\"]': \"x\" is not a number")]
    [TestCase("votes", "3;x", "row 2, column 'votes': item 2 of '3;x': 'x' is not a whole number (int)")]
    [TestCase("level", "medium", "row 2, column 'level': 'medium' is not one of Easy, Hard")]
    public void A_cell_that_does_not_fit_its_type_stops_the_load_naming_the_row_and_the_column(string column, string cell, string message)
    {
        var values = new Dictionary<string, string>
        {
            ["text"] = "t", ["points"] = "1", ["views"] = "1", ["score"] = "1", ["price"] = "1", ["urgent"] = "true", ["rank"] = "",
            ["tags"] = "[]", ["labels"] = "", ["votes"] = "", ["weights"] = "[]", ["level"] = "Easy", ["reviewed"] = "", ["note"] = "", ["priority"] = "",
        };
        values[column] = cell;
        var line = string.Join(",", TicketHeader.Split(',').Select(name => "\"" + values[name].Replace("\"", "\"\"") + "\""));
        AssertLoadFails(TicketHeader + "\n" + line + "\n", message);
    }

    [Test]
    public void A_row_after_a_quoted_line_break_is_named_as_a_spreadsheet_numbers_it_with_its_line() =>
        AssertLoadFails(TicketHeader + "\n\"two\nlines\",1,1,1,1,true,,[],,,[],Easy,,,\nt,1,1,1,1,yes,,[],,,[],Easy,,,\n",
            "row 3 (line 4), column 'urgent': 'yes' is not a boolean");

    [Test]
    public void CsvList_on_a_property_that_is_not_a_list_is_refused_at_load() =>
        Assert.That(() => Create("misdeclared").Load<Misdeclared>(RowSources.Csv(Path.Combine(_temp.Path, "any.csv"))),
            Throws.ArgumentException.With.Message.Contains("Misdeclared.Text has [CsvList(\"|\")] but is not a list"));

    [Test]
    public void A_csv_whose_header_lacks_a_declared_column_is_refused_naming_the_header()
    {
        var file = Path.Combine(_temp.Path, "no-urgent.csv");
        File.WriteAllText(file, TicketHeader.Replace("urgent,", "") + "\nt,1,1,1,1,,[],,,[],Easy,,,\n");
        var pipeline = Create("header");
        pipeline.Load<Ticket>(RowSources.Csv(file)).Filter(_ => true);

        var error = Assert.CatchAsync(() => pipeline.RunAsync(new PipelineRunOptions { Progress = ProgressMode.None }));

        Assert.That(error!.ToString(), Does.Contain(file + ": the header has no column 'urgent', which Ticket declares (the header has text, points,"));
    }

    private void AssertLoadFails(string csv, string message)
    {
        var file = Path.Combine(_temp.Path, "bad.csv");
        File.WriteAllText(file, csv);
        var pipeline = Create("bad");
        pipeline.Load<Ticket>(RowSources.Csv(file)).Filter(_ => true);

        var error = Assert.CatchAsync(() => pipeline.RunAsync(new PipelineRunOptions { Progress = ProgressMode.None }));

        Assert.That(error!.ToString(), Does.Contain(file + " " + message));
    }

    [Test]
    public void A_record_with_a_nested_record_is_refused_naming_the_property() =>
        Assert.That(() => Create("nested").Load(Array.Empty<Nested>()),
            Throws.ArgumentException.With.Message.Contains("Nested.Inner has type Question, which a typed row cannot hold"));
}
