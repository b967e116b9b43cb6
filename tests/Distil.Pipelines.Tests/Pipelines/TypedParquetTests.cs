using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Distil.Pipelines;
using Distil.Testing;
using Distil.Tests.Support;
using DuckDB.NET.Data;
using NUnit.Framework;

namespace Distil.Tests.Pipelines;

/// <summary>
/// Parquet written from the schema the generator knows, read back by an independent reader
/// (DuckDB): the types come from the task's records, not from the first rows, so columns that are
/// null for the first many thousands of rows still get their types, and nothing fails mid-write.
/// </summary>
public class TypedParquetTests
{
    private const int Rows = 12_000;
    private const int FirstParsed = 11_000;
    private TempFolder _temp = null!;

    [SetUp]
    public void CreateFolder() => _temp = new TempFolder("distil-typed-");

    [TearDown]
    public void DeleteFolder() => _temp.Dispose();

    private static readonly Regex Item = new(@"Item (\d+)", RegexOptions.Compiled);

    // The first 11,000 answers do not parse: every output column is null there, as after a bad start of a long run.
    private static ScriptedChatClient Llm() => new ScriptedChatClient(r =>
    {
        var id = int.Parse(Item.Match(r.UserText).Groups[1].Value);
        return ScriptedChatClient.Answer(id < FirstParsed ? "not an answer" : ReviewAnalysisTask.Answer(id), 10, 20);
    });

    private async Task<string> WriteAsync(bool grouped)
    {
        var output = Path.Combine(_temp.Path, grouped ? "grouped.parquet" : "reviews.parquet");
        var pipeline = Pipeline.Create("typed");
        pipeline.RunDirectory = Path.Combine(_temp.Path, grouped ? "run-grouped" : "run");
        pipeline.Load(Enumerable.Range(0, Rows).Select(i => new JsonObject { ["id"] = i, ["text"] = $"review {i}" }))
            .Then(new ReviewAnalysisTask { Llm = Llm(), MaxConcurrency = 16, NumGenerations = grouped ? 2 : 1, GroupGenerations = grouped })
            .Write(RowSinks.Parquet(output));
        var result = await pipeline.RunAsync(new PipelineRunOptions { Progress = ProgressMode.None });
        Assert.That(result.Completed);
        return output;
    }

    [Test]
    public async Task Columns_null_for_the_first_thousands_of_rows_keep_their_declared_types()
    {
        var file = await WriteAsync(grouped: false);

        Assert.That(Duck.Describe(file), Is.EqualTo(new Dictionary<string, string>
        {
            ["id"] = "BIGINT",
            ["text"] = "VARCHAR",
            ["sentiment"] = "VARCHAR",
            ["score"] = "DOUBLE",
            ["ratings"] = "DOUBLE[]",
            ["source"] = "STRUCT(site VARCHAR, verified BOOLEAN)",
            ["aspects"] = "STRUCT(name VARCHAR, rating BIGINT)[]",
            ["model_name"] = "VARCHAR",
            ["distilabel_metadata"] = "STRUCT(raw_output_review_analysis VARCHAR, raw_input_review_analysis STRUCT(role VARCHAR, content VARCHAR)[], " +
                "statistics_review_analysis STRUCT(input_tokens BIGINT, output_tokens BIGINT), error_review_analysis VARCHAR, output_error_review_analysis VARCHAR, repairs_review_analysis VARCHAR[])",
        }));

        using var duck = Open();
        Assert.That(Scalar(duck, $"SELECT count(*) FROM '{file}'"), Is.EqualTo(Rows));
        Assert.That(Scalar(duck, $"SELECT count(*) FROM '{file}' WHERE sentiment IS NULL AND aspects IS NULL"), Is.EqualTo(FirstParsed), "unparsed answers give nulls");
        using var command = duck.CreateCommand();
        command.CommandText = $"""
            SELECT sentiment, score, ratings[2], source.site, source.verified, aspects[1].name, aspects[1].rating,
                   distilabel_metadata.statistics_review_analysis.output_tokens, distilabel_metadata.raw_input_review_analysis[1].role
            FROM '{file}' WHERE id = 11002
            """;
        using var reader = command.ExecuteReader();
        Assert.That(reader.Read());
        Assert.That(Enumerable.Range(0, reader.FieldCount).Select(reader.GetValue),
            Is.EqualTo(new object[] { "Neutral", 0.5, 4.5, "s11002", true, "price", 2L, 20L, "user" }));
    }

    [Test]
    public async Task Grouped_generations_are_lists_of_each_column_and_of_the_metadata()
    {
        var file = await WriteAsync(grouped: true);

        var types = Duck.Describe(file);
        Assert.That(types["sentiment"], Is.EqualTo("VARCHAR[]"));
        Assert.That(types["ratings"], Is.EqualTo("DOUBLE[][]"));
        Assert.That(types["source"], Is.EqualTo("STRUCT(site VARCHAR, verified BOOLEAN)[]"));
        Assert.That(types["distilabel_metadata"], Does.StartWith("STRUCT(raw_output_review_analysis VARCHAR").And.EndWith(")[]"));
        using var duck = Open();
        Assert.That(Scalar(duck, $"SELECT len(ratings) FROM '{file}' WHERE id = 11500"), Is.EqualTo(2L));
        Assert.That(Scalar(duck, $"SELECT ratings[2][1] FROM '{file}' WHERE id = 11500"), Is.EqualTo(0.0));
    }

    [Test]
    public async Task A_Distil_dataset_reads_back_through_Distil_unchanged_with_the_files_own_schema()
    {
        var file = await WriteAsync(grouped: false);
        var source = RowSources.Parquet(file);

        var schema = await source.SchemaAsync(CancellationToken.None);
        var expected = await Pipeline.Create("schema").Load(Enumerable.Range(0, 1).Select(i => new JsonObject { ["id"] = i, ["text"] = "t" }))
            .Then(new ReviewAnalysisTask()).Pipeline.ValidateAsync();
        // Parquet columns are all optional here, so compare types, not nullability; an enum is text in the file.
        static string Types(RowSchema columns) => string.Join("\n", columns.Select(c => $"{c.Name}: {c.Type}")).Replace(" not null", "");
        Assert.That(Types(schema!), Is.EqualTo(Types(expected["review_analysis"].Columns!).Replace("enum(Negative|Neutral|Positive)", "string")),
            "the file's own schema is the one the pipeline declared");

        var rows = new List<JsonObject>();
        await foreach (var row in source.ReadAsync(CancellationToken.None)) rows.Add(row);
        Assert.That(rows, Has.Count.EqualTo(Rows));
        var late = rows[11_002];
        Assert.That(late["aspects"]!.ToJsonString(), Is.EqualTo("[{\"name\":\"price\",\"rating\":2}]"));
        Assert.That(late["source"]!.ToJsonString(), Is.EqualTo("{\"site\":\"s11002\",\"verified\":true}"));
        Assert.That(late["distilabel_metadata"]!["statistics_review_analysis"]!.ToJsonString(), Is.EqualTo("{\"input_tokens\":10,\"output_tokens\":20}"));
        Assert.That(rows[5]["aspects"], Is.Null, "a null list stays null");
    }

    [Test]
    public async Task Empty_lists_stay_empty_and_null_lists_stay_null()
    {
        var file = Path.Combine(_temp.Path, "lists.parquet");
        var schema = new RowSchema(new Column("id", ColumnType.Integer), new Column("tags", ColumnType.ListOf(ColumnType.String)),
            new Column("turns", ColumnType.ListOf(ColumnType.StructOf(new Column("role", ColumnType.String)))));
        JsonObject[] rows =
        [
            new() { ["id"] = 1, ["tags"] = new JsonArray(), ["turns"] = new JsonArray() },
            new() { ["id"] = 2, ["tags"] = null, ["turns"] = null },
            new() { ["id"] = 3, ["tags"] = new JsonArray("a", null, "c"), ["turns"] = new JsonArray(new JsonObject { ["role"] = "user" }) },
        ];

        await new ParquetRowSink(file).WriteAsync(rows.ToAsyncEnumerable(), new RowSinkContext { Schema = schema }, CancellationToken.None);

        using (var duck = Open())
        {
            Assert.That(Scalar(duck, $"SELECT string_agg(coalesce(len(tags)::VARCHAR, 'null'), ',' ORDER BY id) FROM '{file}'"), Is.EqualTo("0,null,3"),
                "the file itself keeps empty and null lists apart");
        }
        var read = new List<string>();
        await foreach (var row in RowSources.Parquet(file).ReadAsync(CancellationToken.None)) read.Add(row.ToJsonString());
        Assert.That(read, Is.EqualTo(rows.Select(r => r.ToJsonString())));
    }

    [Test]
    public async Task A_dataset_that_cannot_be_written_is_kept_and_written_again_without_a_call()
    {
        var llm = Llm();
        // A folder where the file should go: the write fails at its very end, once every row is paid for.
        var output = Path.Combine(_temp.Path, "written.parquet");
        Directory.CreateDirectory(output);
        Pipeline Build(string output)
        {
            var pipeline = Pipeline.Create("unwritable");
            pipeline.RunDirectory = Path.Combine(_temp.Path, "run-unwritable");
            pipeline.Load(Enumerable.Range(0, 50).Select(i => new JsonObject { ["id"] = i, ["text"] = $"review {i}" }))
                .Then(new ReviewAnalysisTask { Llm = llm, MaxConcurrency = 4 })
                .Write(RowSinks.Parquet(output));
            return pipeline;
        }

        var error = Assert.ThrowsAsync<PipelineException>(async () => await Build(output).RunAsync(new PipelineRunOptions { Progress = ProgressMode.None }));
        Assert.That(error!.Message, Does.Contain("could not write parquet file").And.Contain("Every finished row is kept in the run directory")
            .And.Contain("without calling the model"));
        var asked = llm.Requests.Count;
        Assert.That(asked, Is.EqualTo(50));

        Directory.Delete(output);
        var result = await Build(output).RunAsync(new PipelineRunOptions { Progress = ProgressMode.None });

        Assert.That(result.Completed);
        Assert.That(llm.Requests, Has.Count.EqualTo(asked), "no answer asked for again");
        Assert.That(File.Exists(output));
    }

    private static DuckDBConnection Open()
    {
        var connection = new DuckDBConnection("Data Source=:memory:");
        connection.Open();
        return connection;
    }

    private static object? Scalar(DuckDBConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return command.ExecuteScalar();
    }
}
