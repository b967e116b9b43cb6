using System.Text.Json.Nodes;
using Distil.Pipelines;
using Distil.Tasks;
using Distil.Testing;
using Distil.Tests.Support;
using NUnit.Framework;

namespace Distil.Tests.Review;

/// <summary>
/// Labels reach datasets: the reviewed rows of a step (corrections applied, review columns added, filtered by verdict),
/// exported in every registered format and loaded by a pipeline
/// (a pipeline file's form: <see cref="ReviewedPipelineFileTests"/>).
/// </summary>
public class ReviewedRowsTests
{
    private TempFolder _temp = null!;

    [SetUp]
    public void CreateWorkFolder() => _temp = new TempFolder("distil-reviewed-");

    [TearDown]
    public void DeleteWorkFolder() => _temp.Dispose();

    private string RunDirectory => _temp.File("run");

    // Four questions answered once each: rows 0..3 of step "answer".
    private async Task RunAsync()
    {
        var llm = new ScriptedChatClient().Otherwise(request => ScriptedChatClient.Answer("an answer to " + request.UserText, 10, 5));
        var pipeline = Pipeline.Create("answers");
        pipeline.RunDirectory = RunDirectory;
        pipeline.Load(Enumerable.Range(0, 4).Select(i => new JsonObject { ["instruction"] = $"question {i}?" }), "questions")
            .Then(new TextGeneration { Name = "answer", Llm = llm });
        await pipeline.RunAsync(new PipelineRunOptions { Progress = ProgressMode.None });
    }

    // Row 0 accepted and corrected, row 1 rejected with a note, row 2 only noted, row 3 untouched.
    private void Label()
    {
        using var review = RunReview.Open(RunDirectory);
        review.SetVerdict("answer", "0", ReviewVerdict.Accepted);
        review.Correct("answer", "0", "generation", "Paris.");
        review.SetVerdict("answer", "1", ReviewVerdict.Rejected);
        review.SetNote("answer", "1", "off topic <b>bold</b>");
        review.SetNote("answer", "2", "check later");
        review.SetVerdict("answer", "no-such-row", ReviewVerdict.Accepted);
    }

    private static string? Instruction(JsonObject row) => (string?)row["instruction"];

    [Test]
    public async Task Rows_come_with_corrections_applied_and_review_columns_added()
    {
        await RunAsync();
        Label();

        var rows = await ReviewedRows.ReadAsync(RunDirectory, "answer").ToListAsync();

        Assert.That(rows.Select(Instruction), Is.EqualTo(new[] { "question 0?", "question 1?", "question 2?", "question 3?" }), "every committed row, in order; a label of no row adds none");
        Assert.That((string?)rows[0]["generation"], Is.EqualTo("Paris."));
        Assert.That(rows[0]["review_status"]!.ToString(), Is.EqualTo("accepted"));
        Assert.That(rows[0]["review_corrected"]!.ToJsonString(), Is.EqualTo("""["generation"]"""));
        Assert.That((string?)rows[1]["generation"], Is.EqualTo("an answer to question 1?"), "an uncorrected column keeps the committed value");
        Assert.That((string?)rows[1]["review_status"], Is.EqualTo("rejected"));
        Assert.That((string?)rows[1]["review_note"], Is.EqualTo("off topic <b>bold</b>"));
        Assert.That(rows[3]["review_status"], Is.Null);
        Assert.That(rows[3]["review_corrected"]!.ToJsonString(), Is.EqualTo("[]"));
        Assert.That(rows[3].ContainsKey("review_note"), Is.True, "every row has every review column");
    }

    [TestCase(ReviewKeep.All, new[] { 0, 1, 2, 3 })]
    [TestCase(ReviewKeep.Reviewed, new[] { 0, 1 })]
    [TestCase(ReviewKeep.Accepted, new[] { 0 })]
    [TestCase(ReviewKeep.NotRejected, new[] { 0, 2, 3 })]
    public async Task Keep_chooses_rows_by_their_verdict(ReviewKeep keep, int[] questions)
    {
        await RunAsync();
        Label();

        var rows = await ReviewedRows.ReadAsync(RunDirectory, "answer", keep).ToListAsync();

        Assert.That(rows.Select(Instruction), Is.EqualTo(questions.Select(i => $"question {i}?")));
    }

    [Test]
    public async Task An_unknown_step_is_an_error_naming_the_steps_there_are()
    {
        await RunAsync();

        var error = Assert.Throws<ArgumentException>(() => ReviewedRows.ReadAsync(RunDirectory, "answers"));
        Assert.That(error!.Message, Does.Contain("'answers'").And.Contain("answer"));
    }

    [Test]
    public async Task Export_writes_jsonl_with_the_runs_last_step_when_none_is_named()
    {
        await RunAsync();
        Label();
        var file = _temp.File("out", "reviewed.jsonl");

        var written = await ReviewedRows.ExportAsync(RunDirectory, null, file, ReviewKeep.NotRejected);

        Assert.That(written, Is.EqualTo(3));
        var rows = File.ReadAllLines(file).Select(l => JsonNode.Parse(l)!.AsObject()).ToList();
        Assert.That(rows.Select(Instruction), Is.EqualTo(new[] { "question 0?", "question 2?", "question 3?" }));
        Assert.That((string?)rows[0]["generation"], Is.EqualTo("Paris."));
        Assert.That((string?)rows[1]["review_note"], Is.EqualTo("check later"));
    }

    [Test]
    public async Task Export_writes_parquet_that_duckdb_reads_back()
    {
        await RunAsync();
        Label();
        var file = _temp.File("reviewed.parquet");

        var written = await ReviewedRows.ExportAsync(RunDirectory, "answer", file);

        Assert.That(written, Is.EqualTo(4));
        Assert.That(Duck.Scalar($"SELECT generation FROM '{file}' WHERE review_status = 'accepted'"), Is.EqualTo("Paris."));
        Assert.That(Duck.Scalar($"SELECT review_note FROM '{file}' WHERE review_status = 'rejected'"), Is.EqualTo("off topic <b>bold</b>"));
        Assert.That(Duck.Scalar($"SELECT COUNT(*) FROM '{file}' WHERE review_status IS NULL"), Is.EqualTo(2));
        Assert.That(Duck.Scalar($"SELECT review_corrected[1] FROM '{file}' WHERE review_status = 'accepted'"), Is.EqualTo("generation"));
        Assert.That(Duck.Describe(file)["review_corrected"], Is.EqualTo("VARCHAR[]"));
    }

    [Test]
    public async Task Export_to_a_folder_writes_the_hugging_face_layout()
    {
        await RunAsync();
        Label();
        var folder = _temp.File("dataset");

        var written = await ReviewedRows.ExportAsync(RunDirectory, "answer", folder, ReviewKeep.Accepted);

        Assert.That(written, Is.EqualTo(1));
        var shard = Directory.GetFiles(Path.Combine(folder, "data"), "*.parquet").Single();
        Assert.That(Duck.Scalar($"SELECT generation FROM '{shard}'"), Is.EqualTo("Paris."));
    }

    [Test]
    public async Task Export_to_an_unregistered_format_names_the_extension_and_the_package_to_add()
    {
        await RunAsync();
        var csv = RowFileFormats.Find("csv");
        RowFileFormats.Unregister("csv");
        try
        {
            var error = Assert.ThrowsAsync<ArgumentException>(() => ReviewedRows.ExportAsync(RunDirectory, "answer", _temp.File("reviewed.csv")));
            Assert.That(error!.Message, Does.Contain("Distil.Csv").And.Contain("csv"));
            var unknown = Assert.ThrowsAsync<ArgumentException>(() => ReviewedRows.ExportAsync(RunDirectory, "answer", _temp.File("reviewed.xlsx")));
            Assert.That(unknown!.Message, Does.Contain("'.xlsx'"));
        }
        finally
        {
            if (csv is not null) RowFileFormats.Register(csv);
        }
    }

    [Test]
    public async Task A_pipeline_loads_the_accepted_rows_with_their_corrections()
    {
        await RunAsync();
        Label();
        var pipeline = Pipeline.Create("after-review");
        pipeline.RunDirectory = _temp.File("second-run");
        pipeline.Load(RowSources.Reviewed(RunDirectory, "answer", ReviewKeep.NotRejected), "reviewed").KeepColumns(["instruction", "generation", "review_status"]);

        var result = await pipeline.RunAsync(new PipelineRunOptions { Progress = ProgressMode.None });
        var rows = await result.Dataset.ToListAsync();

        Assert.That(rows.Select(Instruction), Is.EqualTo(new[] { "question 0?", "question 2?", "question 3?" }));
        Assert.That((string?)rows[0]["generation"], Is.EqualTo("Paris."));
        Assert.That((string?)rows[0]["review_status"], Is.EqualTo("accepted"));
    }

    [Test]
    public async Task A_changed_label_changes_the_sources_description_so_a_pipeline_sees_a_new_source()
    {
        await RunAsync();
        var source = RowSources.Reviewed(RunDirectory, "answer", ReviewKeep.Accepted);
        using var review = RunReview.Open(RunDirectory);
        review.SetVerdict("answer", "3", ReviewVerdict.Accepted);
        var before = source.Describe();

        review.SetVerdict("answer", "3", ReviewVerdict.Rejected);
        var afterVerdict = source.Describe();
        review.SetNote("answer", "3", "too short");
        var afterNote = source.Describe();

        Assert.That(afterVerdict, Is.Not.EqualTo(before), "as many labels, another verdict");
        Assert.That(afterNote, Is.Not.EqualTo(afterVerdict));
        Assert.That(source.Describe(), Is.EqualTo(afterNote), "nothing changed, the same description");
        Assert.That(before, Does.Contain(RunDirectory).And.Contain("'answer'"));
    }
}
