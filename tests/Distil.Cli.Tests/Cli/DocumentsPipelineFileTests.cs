using System.Text.Json.Nodes;
using Distil.Testing;
using Distil.Tests.Providers;
using Distil.Tests.Support;
using NUnit.Framework;
using UglyToad.PdfPig.Core;
using UglyToad.PdfPig.Fonts.Standard14Fonts;
using UglyToad.PdfPig.Writer;

namespace Distil.Tests.Cli;

/// <summary>
/// The <c>documents</c> kind of pipeline files through the real <c>distil</c> process: a folder of a PDF, a Markdown
/// file and a damaged PDF becomes chunks, a task asks about each good chunk, the dataset is written as typed Parquet;
/// the same command again asks nothing and writes the same rows.
/// </summary>
public class DocumentsPipelineFileTests : FakeServerTests
{
    private TempFolder _temp = null!;

    [SetUp]
    public void CreateWorkFolder() => _temp = new TempFolder("distil-documents-cli-");

    [TearDown]
    public void DeleteWorkFolder() => _temp.Dispose();

    private string Output => _temp.File("chunks.parquet");

    private string WritePipeline()
    {
        var docs = _temp.File("docs");
        Directory.CreateDirectory(docs);
        var pdf = Pdf("Rivers run to the sea.", "Mountains stand still.");
        File.WriteAllBytes(Path.Combine(docs, "atlas.pdf"), pdf);
        File.WriteAllBytes(Path.Combine(docs, "damaged.pdf"), pdf[..(pdf.Length / 3)]);
        File.WriteAllText(Path.Combine(docs, "guide.md"), "# Guide\n\nRead this.\n\n## Details\n\nMore here.\n");
        var file = _temp.File("pipeline.json");
        File.WriteAllText(file, new JsonObject
        {
            ["name"] = "document-questions",
            ["model"] = $"endpoint:{Server.BaseUrl}#fake-model",
            ["run_dir"] = "run",
            ["steps"] = new JsonArray(
                new JsonObject { ["name"] = "chunks", ["documents"] = new JsonObject { ["folder"] = "docs", ["max_tokens"] = 100, ["overlap_tokens"] = 10 } },
                new JsonObject
                {
                    ["name"] = "ask", ["task"] = "text_generation", ["after"] = "chunks",
                    ["input_mappings"] = new JsonObject { ["instruction"] = "text" },
                    // A file that could not be read has no text to ask about.
                    ["when"] = new JsonObject { ["column"] = "error", ["is_null"] = true },
                },
                new JsonObject { ["name"] = "out", ["write"] = "chunks.parquet", ["after"] = "ask" }),
        }.ToJsonString());
        return file;
    }

    private static byte[] Pdf(params string[] pages)
    {
        var builder = new PdfDocumentBuilder();
        var font = builder.AddStandard14Font(Standard14Font.Helvetica);
        foreach (var text in pages) builder.AddPage(UglyToad.PdfPig.Content.PageSize.A4).AddText(text, 12, new PdfPoint(25, 700), font);
        return builder.Build();
    }

    private static List<string> Rows(string parquet)
    {
        var lines = new List<string>();
        var count = (long)Duck.Scalar($"SELECT count(*) FROM '{parquet}'")!;
        for (var i = 0; i < count; i++)
        {
            lines.Add((string)Duck.Scalar(
                $"SELECT concat_ws(' | ', source, format, coalesce(page::VARCHAR, '-'), array_to_string(heading_path, ' > '), chunk_index, start, \"end\", text, coalesce(generation, '-'), coalesce(error, '-')) FROM (SELECT *, row_number() OVER () AS n FROM '{parquet}') WHERE n = {i + 1}")!);
        }
        return lines;
    }

    [Test]
    public async Task A_documents_step_runs_through_distil_to_a_typed_dataset_and_a_second_run_asks_nothing_and_writes_the_same_rows()
    {
        Server.Reply = FakeReplies.Answering(request => $"Asked about {request.Prompt.Length} characters.");
        var pipeline = WritePipeline();

        var (exitCode, error) = await ChildProgram.Distil.RunAsync("run", "--pipeline", pipeline);

        Assert.That(exitCode, Is.Zero, error);
        Assert.That(Server.RequestCount, Is.EqualTo(4), "two PDF pages and two Markdown sections; the damaged file is not asked about");
        var types = Duck.Describe(Output);
        Assert.That(new[] { types["page"], types["heading_path"], types["chunk_index"], types["start"], types["token_count"], types["error"] },
            Is.EqualTo(new[] { "BIGINT", "VARCHAR[]", "BIGINT", "BIGINT", "BIGINT", "VARCHAR" }));
        var rows = Rows(Output);
        Assert.That(rows.Select(r => string.Join(" | ", r.Split(" | ").Take(7))), Is.EqualTo(new[]
        {
            "atlas.pdf | pdf | 1 |  | 0 | 0 | 22",
            "atlas.pdf | pdf | 2 |  | 1 | 24 | 46",
            "damaged.pdf | pdf | - |  | 0 | 0 | 0",
            "guide.md | markdown | - | Guide | 0 | 0 | 19",
            "guide.md | markdown | - | Guide > Details | 1 | 21 | 43",
        }));
        Assert.That(rows[2], Does.Contain("damaged.pdf (pdf) could not be read: "));

        var (againExit, againError) = await ChildProgram.Distil.RunAsync("run", "--pipeline", pipeline);

        Assert.That(againExit, Is.Zero, againError);
        Assert.That(Server.RequestCount, Is.EqualTo(4), "the resumed run reads the same chunks under the same keys: every answer is kept");
        Assert.That(Rows(Output), Is.EqualTo(rows));
    }

    [Test]
    public async Task A_documents_step_with_a_bad_setting_is_refused_naming_the_step_and_the_key()
    {
        var pipeline = WritePipeline();
        var json = JsonNode.Parse(File.ReadAllText(pipeline))!;
        json["steps"]![0]!["documents"]!["chunk_by"] = "paragraphs";
        File.WriteAllText(pipeline, json.ToJsonString());

        var (exitCode, error) = await ChildProgram.Distil.RunAsync("run", "--pipeline", pipeline);

        Assert.That(exitCode, Is.Not.Zero);
        Assert.That(error, Does.Contain("step 'chunks' (documents): \"chunk_by\" is 'paragraphs'; it must be headings or tokens"));
        Assert.That(Server.RequestCount, Is.Zero);
    }
}
