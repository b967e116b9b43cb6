using System.Text;
using System.Text.Json.Nodes;
using Distil.Pipelines;
using Distil.Tests.Support;
using NUnit.Framework;

namespace Distil.Tests.Pipelines;

/// <summary>Loaders and writers: JSONL, CSV and Parquet files, real files on disk, round trips and clear errors.</summary>
public class RowFormatTests
{
    private TempFolder _temp = null!;

    [SetUp]
    public void CreateFolder() => _temp = new TempFolder("distil-formats-");

    [TearDown]
    public void DeleteFolder() => _temp.Dispose();

    private static async Task<List<JsonObject>> ReadAll(IRowSource source)
    {
        var rows = new List<JsonObject>();
        await foreach (var row in source.ReadAsync(CancellationToken.None)) rows.Add(row);
        return rows;
    }

    private static async IAsyncEnumerable<JsonObject> Async(IEnumerable<JsonObject> rows)
    {
        foreach (var row in rows) yield return row;
        await Task.CompletedTask;
    }

    private static List<JsonObject> Sample() =>
    [
        new() { ["id"] = 1, ["text"] = "héllo, \"world\"", ["score"] = 4.5, ["ok"] = true, ["tags"] = new JsonArray("a", "b"), ["meta"] = new JsonObject { ["k"] = 1 } },
        new() { ["id"] = 2, ["text"] = null, ["score"] = 3.0, ["ok"] = false, ["tags"] = new JsonArray(), ["meta"] = new JsonObject { ["k"] = 2 } },
        new() { ["id"] = 3, ["text"] = "line\nbreak", ["score"] = null, ["ok"] = null, ["tags"] = new JsonArray("c"), ["meta"] = null },
    ];

    [Test]
    public async Task Jsonl_round_trips_rows_and_names_the_line_of_a_bad_one()
    {
        var path = Path.Combine(_temp.Path, "rows.jsonl");
        await RowSinks.Jsonl(path).WriteAsync(Async(Sample()), CancellationToken.None);

        var rows = await ReadAll(RowSources.Jsonl(path));

        Assert.That(rows.Select(r => r.ToJsonString()), Is.EqualTo(Sample().Select(r => r.ToJsonString())));
        Assert.That(await RowSources.Jsonl(path).CountAsync(CancellationToken.None), Is.EqualTo(3));
        Assert.That(File.ReadAllText(path), Does.Contain("héllo"), "text is written as it is, not escaped");

        File.WriteAllText(path, "{\"a\": 1}\n\n[1, 2]\n");
        Assert.That(async () => await ReadAll(RowSources.Jsonl(path)),
            Throws.TypeOf<InvalidDataException>().With.Message.Contains("rows.jsonl line 3: a row must be a JSON object, not array"));
    }

    [Test]
    public async Task Parquet_round_trips_scalars_lists_and_nested_values()
    {
        var path = Path.Combine(_temp.Path, "rows.parquet");
        await RowSinks.Parquet(path).WriteAsync(Async(Sample()), CancellationToken.None);

        var rows = await ReadAll(RowSources.Parquet(path));

        Assert.That(await RowSources.Parquet(path).CountAsync(CancellationToken.None), Is.EqualTo(3));
        Assert.That(rows.Select(r => (long?)r["id"]), Is.EqualTo(new long?[] { 1, 2, 3 }));
        Assert.That(rows.Select(r => (string?)r["text"]), Is.EqualTo(new[] { "héllo, \"world\"", null, "line\nbreak" }));
        Assert.That(rows.Select(r => (double?)r["score"]), Is.EqualTo(new double?[] { 4.5, 3.0, null }));
        Assert.That(rows.Select(r => (bool?)r["ok"]), Is.EqualTo(new bool?[] { true, false, null }));
        // An empty list stays empty (the reader puts back what Parquet.Net's untyped reader leaves out).
        Assert.That(rows.Select(r => r["tags"]?.AsArray().Select(t => (string?)t).ToArray()), Is.EqualTo(new[] { new[] { "a", "b" }, [], new[] { "c" } }));
        Assert.That(rows[0]["meta"]!.ToJsonString(), Is.EqualTo("{\"k\":1}"), "an object is written as a struct and read back as an object");
    }

    [Test]
    public void Parquet_refuses_a_value_that_does_not_fit_its_column_and_keeps_the_old_file()
    {
        var path = Path.Combine(_temp.Path, "rows.parquet");
        File.WriteAllText(path, "old");
        var rows = Enumerable.Range(0, 3).Select(i => new JsonObject { ["n"] = i }).Append(new JsonObject { ["n"] = "three" });
        var schema = new RowSinkContext { Schema = new RowSchema(new Column("n", ColumnType.Integer)) };

        Assert.That(async () => await new ParquetRowSink(path, rowGroupSize: 2).WriteAsync(Async(rows), schema, CancellationToken.None),
            Throws.TypeOf<InvalidDataException>().With.Message.Contains("'n'"));
        Assert.That(File.ReadAllText(path), Is.EqualTo("old"));
        Assert.That(File.Exists(path + ".tmp"), Is.False);
    }

    [Test]
    public async Task Parquet_writes_row_groups_a_reader_streams_back()
    {
        var path = Path.Combine(_temp.Path, "many.parquet");
        var rows = Enumerable.Range(0, 2500).Select(i => new JsonObject { ["id"] = i, ["text"] = $"row {i}" });
        await new ParquetRowSink(path, rowGroupSize: 1000).WriteAsync(Async(rows), CancellationToken.None);

        var read = await ReadAll(RowSources.Parquet(path));

        Assert.That(read.Select(r => (long)r["id"]!), Is.EqualTo(Enumerable.Range(0, 2500).Select(i => (long)i)));
    }

    [Test]
    public async Task Csv_reads_a_header_and_quoted_fields_as_strings()
    {
        var path = Path.Combine(_temp.Path, "rows.csv");
        File.WriteAllText(path, "id,instruction,note\n1,\"Say \"\"hi\"\", twice\",\n2,\"two\nlines\",x\n", new UTF8Encoding(false));

        var rows = await ReadAll(RowSources.Csv(path));

        Assert.That(rows.Select(r => r.ToJsonString()), Is.EqualTo(new[]
        {
            "{\"id\":\"1\",\"instruction\":\"Say \\u0022hi\\u0022, twice\",\"note\":\"\"}",
            "{\"id\":\"2\",\"instruction\":\"two\\nlines\",\"note\":\"x\"}",
        }));
    }

    [Test]
    public void Csv_names_the_line_of_a_row_with_the_wrong_number_of_fields()
    {
        var path = Path.Combine(_temp.Path, "rows.csv");
        File.WriteAllText(path, "a,b\n1,2\n3\n");

        Assert.That(async () => await ReadAll(RowSources.Csv(path)),
            Throws.TypeOf<InvalidDataException>().With.Message.Contains("line 3: has 1 fields, the header has 2"));
    }

    [Test]
    public void A_missing_file_is_named_and_an_unknown_extension_is_refused()
    {
        var missing = Path.Combine(_temp.Path, "nope.jsonl");

        Assert.That(() => RowSources.Jsonl(missing).Describe(), Throws.TypeOf<FileNotFoundException>().With.Message.Contains(missing));
        Assert.That(() => RowSources.File("data.xlsx"), Throws.ArgumentException.With.Message.Contains("use one of").And.Message.Contains(".jsonl").And.Message.Contains(".csv").And.Message.Contains(".parquet"));
    }

    [Test]
    public async Task A_pipeline_loads_csv_and_writes_parquet()
    {
        var input = Path.Combine(_temp.Path, "in.csv");
        File.WriteAllText(input, "instruction\nfirst\nsecond\n");
        var output = Path.Combine(_temp.Path, "out.parquet");
        var pipeline = Pipeline.Create("formats");
        pipeline.RunDirectory = Path.Combine(_temp.Path, "run");

        await pipeline.Load(RowSources.Csv(input))
            .Map(row => { row["length"] = ((string)row["instruction"]!).Length; return row; }, reads: ["instruction"], writes: ["length"])
            .Write(output)
            .RunAsync(new PipelineRunOptions { Progress = ProgressMode.None });

        var rows = await ReadAll(RowSources.Parquet(output));
        Assert.That(rows.Select(r => $"{r["instruction"]}:{r["length"]}"), Is.EqualTo(new[] { "first:5", "second:6" }));
    }
}
