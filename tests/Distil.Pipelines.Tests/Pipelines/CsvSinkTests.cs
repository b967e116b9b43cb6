using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Distil.Pipelines;
using Distil.Testing;
using Distil.Tests.Support;
using DuckDB.NET.Data;
using NUnit.Framework;

namespace Distil.Tests.Pipelines;

/// <summary>CSV written by the pipeline, read back by an independent reader (DuckDB) and by Distil's own CSV source.</summary>
public class CsvSinkTests
{
    private TempFolder _temp = null!;

    [SetUp]
    public void CreateFolder() => _temp = new TempFolder("distil-csv-");

    [TearDown]
    public void DeleteFolder() => _temp.Dispose();

    private static readonly Regex Item = new(@"Item (\d+)", RegexOptions.Compiled);

    // Texts that CSV must quote: separators, quotes, line breaks, and text beyond ASCII.
    private static string Text(int i) => (i % 4) switch
    {
        0 => $"plain {i}",
        1 => $"a, b and \"c\" {i}",
        2 => $"two\nlines {i}",
        _ => $"ünïcödé ✓ {i}",
    };

    [Test]
    public async Task A_pipeline_writes_every_column_in_schema_order_and_DuckDB_reads_it_back()
    {
        var output = Path.Combine(_temp.Path, "reviews.csv");
        var pipeline = Pipeline.Create("csv");
        pipeline.RunDirectory = Path.Combine(_temp.Path, "run");
        // Row 3's answer does not parse: its output columns are empty.
        var llm = new ScriptedChatClient(r =>
        {
            var id = int.Parse(Item.Match(r.UserText).Groups[1].Value);
            return ScriptedChatClient.Answer(id == 3 ? "not an answer" : ReviewAnalysisTask.Answer(id));
        });
        pipeline.Load(Enumerable.Range(0, 8).Select(i => new JsonObject { ["id"] = i, ["text"] = Text(i) }))
            .Then(new ReviewAnalysisTask { Llm = llm })
            .Write(RowSinks.File(output));

        var result = await pipeline.RunAsync(new PipelineRunOptions { Progress = ProgressMode.None });

        Assert.That(result.Completed);
        using var duck = new DuckDBConnection("Data Source=:memory:");
        duck.Open();
        using var command = duck.CreateCommand();
        command.CommandText = $"SELECT * FROM read_csv('{output}', header = true, all_varchar = true, quote = '\"', escape = '\"') ORDER BY CAST(id AS INTEGER)";
        using var reader = command.ExecuteReader();
        var columns = Enumerable.Range(0, reader.FieldCount).Select(reader.GetName).ToList();
        Assert.That(columns, Is.EqualTo(new[] { "id", "text", "sentiment", "score", "ratings", "source", "aspects", "model_name", "distilabel_metadata" }));
        var rows = new List<object?[]>();
        while (reader.Read()) rows.Add(Enumerable.Range(0, reader.FieldCount).Select(i => reader.IsDBNull(i) ? null : reader.GetValue(i)).ToArray());

        Assert.That(rows, Has.Count.EqualTo(8));
        Assert.That(rows.Select(r => r[1]), Is.EqualTo(Enumerable.Range(0, 8).Select(Text)), "quoted text comes back as it was");
        Assert.That(rows[2][2..7], Is.EqualTo(new object?[] { "Positive", "0.5", "[2,4.5]", """{"site":"s2","verified":true}""", """[{"name":"price","rating":2}]""" }),
            "an enum as its name, numbers as JSON text, lists and records as compact JSON");
        Assert.That(rows[3][2..7], Is.All.Null, "an answer that did not parse leaves its columns empty");
        Assert.That(rows[1][3], Is.Null, "a null score is an empty field");
        Assert.That(JsonNode.Parse((string)rows[0][8]!)!["statistics_review_analysis"], Is.Not.Null, "the metadata is one JSON field");
    }

    [Test]
    public async Task Rows_without_a_schema_get_the_union_of_their_columns_and_read_back_through_the_CSV_source()
    {
        var output = Path.Combine(_temp.Path, "loose.csv");
        JsonObject[] rows =
        [
            new() { ["a"] = "x" },
            new() { ["a"] = "y", ["b"] = 2 },
            new() { ["c"] = new JsonArray(1, "two"), ["b"] = true },
        ];

        await RowSinks.Csv(output).WriteAsync(rows.ToAsyncEnumerable(), CancellationToken.None);

        Assert.That(File.ReadAllText(output), Is.EqualTo("a,b,c\nx,,\ny,2,\n,true,\"[1,\"\"two\"\"]\"\n"));
        var back = await RowSources.Csv(output).ReadAsync(CancellationToken.None).ToListAsync();
        Assert.That(back.Select(r => ((string?)r["a"], (string?)r["b"], (string?)r["c"])), Is.EqualTo(new[]
        {
            ("x", "", ""),
            ("y", "2", ""),
            ("", "true", """[1,"two"]"""),
        }));
        Assert.That(Directory.GetFiles(_temp.Path), Is.EqualTo(new[] { output }), "no temporary or spool file is left");
    }

    [Test]
    public void The_format_follows_the_extension()
    {
        Assert.That(RowSinks.File("out.csv"), Is.TypeOf<CsvRowSink>());
        Assert.That(() => RowSinks.File("out.tsv"), Throws.ArgumentException.With.Message.Contains(".jsonl").And.Message.Contains(".csv").And.Message.Contains("register a RowFileFormat"));
    }
}
