using Distil.Tests.Support;
using UglyToad.PdfPig.Core;
using UglyToad.PdfPig.Fonts.Standard14Fonts;
using UglyToad.PdfPig.Writer;

namespace Distil.Tests.Pipelines.Documents;

/// <summary>
/// A folder of documents whose chunks the tests know exactly: a two-page PDF made here, a Markdown file with nested
/// headings in a subfolder, an HTML page, a plain text note, a damaged PDF, and files that are not documents.
/// </summary>
internal static class DocumentFolder
{
    public const string Markdown = "Intro line.\n\n# Guide\n\nGuide text.\n\n## Install\n\nInstall text.\n\n### Linux\n\nLinux text.\n\n## Use\n\nUse text.\n";

    public const string Html = """
        <html><head><title>Not shown</title><style>p { color: red }</style></head><body>
        <p>Before   any heading.</p>
        <h1>Manual</h1>
        <p>First <b>bold</b> words.</p>
        <h2>Setup</h2>
        <ul><li>one</li><li>two</li></ul>
        <script>var hidden = 1;</script>
        </body></html>
        """;

    public const string Note = "Just a note.\n";

    /// <summary>Writes the folder into <paramref name="temp"/> and returns its path.</summary>
    public static string Write(TempFolder temp)
    {
        var folder = temp.File("docs");
        Directory.CreateDirectory(Path.Combine(folder, "guides"));
        Directory.CreateDirectory(Path.Combine(folder, ".hidden"));
        var pdf = TwoPagePdf();
        File.WriteAllBytes(Path.Combine(folder, "report.pdf"), pdf);
        // A PDF cut off half-way: its cross-reference table is gone.
        File.WriteAllBytes(Path.Combine(folder, "broken.pdf"), pdf[..(pdf.Length / 2)]);
        File.WriteAllText(Path.Combine(folder, "guides", "guide.md"), Markdown);
        File.WriteAllText(Path.Combine(folder, "page.html"), Html);
        File.WriteAllText(Path.Combine(folder, "notes.txt"), Note);
        // Not documents: an unknown extension, and a hidden folder.
        File.WriteAllBytes(Path.Combine(folder, "picture.png"), [0x89, 0x50, 0x4E, 0x47]);
        File.WriteAllText(Path.Combine(folder, ".hidden", "secret.md"), "# Secret\n");
        return folder;
    }

    /// <summary>A PDF of two pages: two lines on the first, one on the second.</summary>
    public static byte[] TwoPagePdf()
    {
        var builder = new PdfDocumentBuilder();
        var font = builder.AddStandard14Font(Standard14Font.Helvetica);
        var first = builder.AddPage(UglyToad.PdfPig.Content.PageSize.A4);
        first.AddText("The first page speaks of rivers.", 12, new PdfPoint(25, 700), font);
        first.AddText("Second line here.", 12, new PdfPoint(25, 680), font);
        var second = builder.AddPage(UglyToad.PdfPig.Content.PageSize.A4);
        second.AddText("The second page speaks of mountains.", 12, new PdfPoint(25, 700), font);
        return builder.Build();
    }
}
