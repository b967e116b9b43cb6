using System.Text.Json.Nodes;
using Distil.Pipelines;
using Distil.Tests.Support;
using NUnit.Framework;

namespace Distil.Tests.Pipelines.Documents;

/// <summary>
/// <c>RowSources.Documents</c>: a folder of PDF, Markdown, HTML and text files read into typed rows of chunks, with
/// their sources, pages, heading paths and positions; a damaged file named in its own row while the rest load; chunks
/// cut by tokens with an exact overlap; a Parquet file typed from the declared columns.
/// </summary>
public class DocumentSourceTests
{
    private TempFolder _temp = null!;

    [SetUp]
    public void CreateFolder() => _temp = new TempFolder("distil-documents-");

    [TearDown]
    public void DeleteFolder() => _temp.Dispose();

    private static async Task<List<JsonObject>> ReadAsync(IRowSource source)
    {
        var rows = new List<JsonObject>();
        await foreach (var row in source.ReadAsync(CancellationToken.None)) rows.Add(row);
        return rows;
    }

    // One chunk as a line that says everything a test checks: source, format, page, headings, index, span, tokens, text.
    private static string Line(JsonObject row) =>
        $"{row["source"]} {row["format"]} p{row["page"]?.ToString() ?? "-"} [{string.Join(" > ", row["heading_path"]!.AsArray().Select(h => (string?)h))}] "
        + $"#{row["chunk_index"]} {row["start"]}..{row["end"]} {row["token_count"]}t {row["text"]!.ToJsonString()}";

    [Test]
    public async Task A_folder_loads_into_chunks_with_their_sources_pages_heading_paths_and_positions()
    {
        var rows = await ReadAsync(RowSources.Documents(DocumentFolder.Write(_temp)));

        var good = rows.Where(r => r["error"] is null).Select(Line).ToList();
        Assert.That(good, Is.EqualTo(new[]
        {
            """guides/guide.md markdown p- [] #0 0..11 3t "Intro line." """.TrimEnd(),
            """guides/guide.md markdown p- [Guide] #1 13..33 6t "# Guide\n\nGuide text." """.TrimEnd(),
            """guides/guide.md markdown p- [Guide > Install] #2 35..60 6t "## Install\n\nInstall text." """.TrimEnd(),
            """guides/guide.md markdown p- [Guide > Install > Linux] #3 62..84 6t "### Linux\n\nLinux text." """.TrimEnd(),
            """guides/guide.md markdown p- [Guide > Use] #4 86..103 6t "## Use\n\nUse text." """.TrimEnd(),
            """notes.txt text p- [] #0 0..12 4t "Just a note." """.TrimEnd(),
            """page.html html p- [] #0 0..19 4t "Before any heading." """.TrimEnd(),
            """page.html html p- [Manual] #1 21..46 6t "Manual\n\nFirst bold words." """.TrimEnd(),
            """page.html html p- [Manual > Setup] #2 48..62 5t "Setup\n\none\ntwo" """.TrimEnd(),
            """report.pdf pdf p1 [] #0 0..50 11t "The first page speaks of rivers.\nSecond line here." """.TrimEnd(),
            """report.pdf pdf p2 [] #1 52..88 7t "The second page speaks of mountains." """.TrimEnd(),
        }).AsCollection);
    }

    [Test]
    public async Task Positions_point_into_the_document_text_so_a_chunk_is_the_slice_of_its_file()
    {
        var rows = await ReadAsync(RowSources.Documents(DocumentFolder.Write(_temp)));

        foreach (var row in rows.Where(r => (string?)r["format"] == "markdown"))
        {
            var (start, end) = ((int)row["start"]!, (int)row["end"]!);
            Assert.That(DocumentFolder.Markdown[start..end], Is.EqualTo((string?)row["text"]), Line(row));
        }
    }

    [Test]
    public async Task A_damaged_pdf_is_named_in_its_own_error_row_and_every_other_file_still_loads()
    {
        var rows = await ReadAsync(RowSources.Documents(DocumentFolder.Write(_temp)));

        var bad = rows.Single(r => r["error"] is not null);
        Assert.That((string?)bad["source"], Is.EqualTo("broken.pdf"));
        Assert.That((string?)bad["format"], Is.EqualTo("pdf"));
        Assert.That((string?)bad["error"], Does.StartWith("broken.pdf (pdf) could not be read: "));
        Assert.That((string?)bad["text"], Is.Empty);
        Assert.That((int)bad["token_count"]!, Is.Zero);
        Assert.That(rows.Select(r => (string?)r["source"]).Distinct(), Is.EqualTo(new[] { "broken.pdf", "guides/guide.md", "notes.txt", "page.html", "report.pdf" }),
            "the other files load, in the order of their paths; the picture and the hidden folder are not documents");
    }

    [Test]
    public async Task Chunks_by_tokens_are_windows_of_exactly_max_tokens_sharing_exactly_the_overlap()
    {
        var folder = _temp.File("counting");
        Directory.CreateDirectory(folder);
        // Each word is one token of o200k_base (the first without a space, the others with one).
        File.WriteAllText(Path.Combine(folder, "words.txt"), "one two three four five six seven eight nine ten eleven twelve");

        var rows = await ReadAsync(RowSources.Documents(folder, new DocumentChunking { By = DocumentChunkBy.Tokens, MaxTokens = 5, OverlapTokens = 2 }));

        Assert.That(rows.Select(Line), Is.EqualTo(new[]
        {
            """words.txt text p- [] #0 0..23 5t "one two three four five" """.TrimEnd(),
            """words.txt text p- [] #1 13..39 5t " four five six seven eight" """.TrimEnd(),
            """words.txt text p- [] #2 27..55 5t " seven eight nine ten eleven" """.TrimEnd(),
            """words.txt text p- [] #3 44..62 3t " ten eleven twelve" """.TrimEnd(),
        }));
    }

    [Test]
    public async Task By_tokens_a_chunk_across_two_pdf_pages_has_the_page_where_it_starts()
    {
        var folder = _temp.File("pdf");
        Directory.CreateDirectory(folder);
        File.WriteAllBytes(Path.Combine(folder, "report.pdf"), DocumentFolder.TwoPagePdf());

        var rows = await ReadAsync(RowSources.Documents(folder, new DocumentChunking { By = DocumentChunkBy.Tokens, MaxTokens = 8, OverlapTokens = 0 }));

        Assert.That(rows.Select(r => ((int?)r["page"], (int)r["token_count"]!)), Is.EqualTo(new (int?, int)[] { (1, 8), (1, 8), (2, 2) }));
        Assert.That((string?)rows[1]["text"], Does.Contain("\n\nThe second"), "the second window reaches into page 2 but starts on page 1");
    }

    [Test]
    public async Task By_headings_a_section_longer_than_max_tokens_is_cut_into_windows_under_the_same_headings()
    {
        var folder = _temp.File("long");
        Directory.CreateDirectory(folder);
        File.WriteAllText(Path.Combine(folder, "long.md"), "# Title\n\none two three four five six seven eight nine ten eleven twelve\n");

        var rows = await ReadAsync(RowSources.Documents(folder, new DocumentChunking { MaxTokens = 6, OverlapTokens = 1 }));

        Assert.That(rows.Select(r => (int)r["token_count"]!), Is.All.LessThanOrEqualTo(6));
        Assert.That(rows, Has.Count.GreaterThan(1));
        Assert.That(rows.Select(r => string.Join(">", r["heading_path"]!.AsArray().Select(h => (string?)h))), Is.All.EqualTo("Title"));
        Assert.That((string?)rows[0]["text"], Does.StartWith("# Title"));
        Assert.That((string?)rows[^1]["text"], Does.EndWith("twelve"));
    }

    [TestCase(0, 0, "MaxTokens is 0; a chunk holds at least 1 token.")]
    [TestCase(10, 10, "OverlapTokens is 10; it must be at least 0 and less than MaxTokens (10), or the windows would not move on.")]
    public void Chunking_that_cannot_move_on_fails_where_the_source_is_made(int max, int overlap, string message)
    {
        var error = Assert.Throws<ArgumentException>(() => RowSources.Documents(_temp.Path, new DocumentChunking { MaxTokens = max, OverlapTokens = overlap }));
        Assert.That(error!.Message, Is.EqualTo(message));
    }

    [Test]
    public void A_missing_folder_is_named()
    {
        var missing = _temp.File("nowhere");
        var error = Assert.Throws<DirectoryNotFoundException>(() => RowSources.Documents(missing).Describe());
        Assert.That(error!.Message, Is.EqualTo($"The documents folder '{missing}' does not exist."));
    }

    [Test]
    public async Task Reading_again_gives_the_same_rows_and_a_changed_file_changes_the_description()
    {
        var folder = DocumentFolder.Write(_temp);
        var source = RowSources.Documents(folder);
        var description = source.Describe();

        var first = (await ReadAsync(source)).Select(r => r.ToJsonString()).ToList();
        var again = (await ReadAsync(RowSources.Documents(folder))).Select(r => r.ToJsonString()).ToList();

        Assert.That(again, Is.EqualTo(first));
        Assert.That(RowSources.Documents(folder).Describe(), Is.EqualTo(description));
        File.AppendAllText(Path.Combine(folder, "notes.txt"), "More.\n");
        Assert.That(RowSources.Documents(folder).Describe(), Is.Not.EqualTo(description), "a run over a changed folder reads it again");
        Assert.That(RowSources.Documents(folder, new DocumentChunking { MaxTokens = 100 }).Describe(), Is.Not.EqualTo(RowSources.Documents(folder).Describe()));
    }

    [Test]
    public async Task Written_to_parquet_the_columns_have_their_declared_types()
    {
        var source = RowSources.Documents(DocumentFolder.Write(_temp));
        Assert.That(await source.SchemaAsync(CancellationToken.None), Is.EqualTo(DocumentColumns.Schema));
        var output = _temp.File("chunks.parquet");
        var pipeline = Pipeline.Create("documents");
        pipeline.RunDirectory = _temp.File("run");
        pipeline.Load(source).Write(RowSinks.File(output));

        var result = await pipeline.RunAsync(new PipelineRunOptions { Progress = ProgressMode.None });

        Assert.That(result.Completed);
        Assert.That(Duck.Describe(output), Is.EqualTo(new Dictionary<string, string>
        {
            ["source"] = "VARCHAR",
            ["format"] = "VARCHAR",
            ["page"] = "BIGINT",
            ["heading_path"] = "VARCHAR[]",
            ["chunk_index"] = "BIGINT",
            ["start"] = "BIGINT",
            ["end"] = "BIGINT",
            ["text"] = "VARCHAR",
            ["token_count"] = "BIGINT",
            ["error"] = "VARCHAR",
        }));
        Assert.That(Duck.Scalar($"SELECT count(*) FROM '{output}' WHERE page = 2"), Is.EqualTo(1L));
        Assert.That(Duck.Scalar($"SELECT heading_path[3] FROM '{output}' WHERE chunk_index = 3 AND format = 'markdown'"), Is.EqualTo("Linux"));
    }
}
