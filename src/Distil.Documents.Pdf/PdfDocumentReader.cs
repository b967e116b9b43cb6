using System.Runtime.CompilerServices;
using System.Text;
using Distil.Pipelines;
using UglyToad.PdfPig;
using UglyToad.PdfPig.DocumentLayoutAnalysis.TextExtractor;

[assembly: DocumentReader(typeof(PdfDocumentReader))]

namespace Distil.Pipelines;

/// <summary>
/// PDF (<c>.pdf</c>, read by PdfPig): the text of each page in reading order, lines kept, pages one after another
/// with a blank line between them; each page is a section, numbered from 1. Only text the PDF holds as text is
/// read: a scanned page (an image) has none. Referencing the Distil.Documents.Pdf package registers it with
/// <see cref="DocumentReaders"/>.
/// </summary>
public sealed class PdfDocumentReader : DocumentReader
{
    /// <inheritdoc/>
    public override string Name => "pdf";

    /// <inheritdoc/>
    public override IReadOnlyList<string> Extensions { get; } = [".pdf"];

    /// <inheritdoc/>
    public override DocumentText Read(Stream content)
    {
        // PdfPig seeks back and forth: a file's stream can, a piped one is copied first.
        using var pdf = PdfDocument.Open(content.CanSeek ? content : Copy(content));
        var text = new StringBuilder();
        var sections = new List<DocumentSection>();
        foreach (var page in pdf.GetPages())
        {
            if (text.Length > 0) text.Append("\n\n");
            var start = text.Length;
            text.Append(ContentOrderTextExtractor.GetText(page).TrimEnd());
            sections.Add(new DocumentSection(start, text.Length, page.Number, []));
        }
        return new DocumentText(text.ToString(), sections);
    }

    private static MemoryStream Copy(Stream content)
    {
        var copy = new MemoryStream();
        content.CopyTo(copy);
        copy.Position = 0;
        return copy;
    }

#pragma warning disable CA2255 // A library's module initializer: registering the reader is this package's whole point.
    /// <summary>Registers the reader as soon as any type of this package is used.</summary>
    [ModuleInitializer]
    internal static void RegisterOnLoad() => DocumentReaders.Register(new PdfDocumentReader());
#pragma warning restore CA2255
}
