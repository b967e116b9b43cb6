using System.Text;
using Markdig;
using Markdig.Syntax;
using Markdig.Syntax.Inlines;

namespace Distil.Pipelines;

/// <summary>
/// Markdown (<c>.md</c>, <c>.markdown</c>; CommonMark, read by Markdig). The text is the file's own, Markdown marks
/// and all, so that a chunk's offsets point into the file; each heading (<c>#</c> or underlined) starts a section
/// that runs to the next heading of any level, under the headings above it (<c>["Guide", "Install", "Linux"]</c>).
/// The text before the first heading is a section with no heading path.
/// </summary>
public sealed class MarkdownDocumentReader : DocumentReader
{
    /// <inheritdoc/>
    public override string Name => "markdown";

    /// <inheritdoc/>
    public override IReadOnlyList<string> Extensions { get; } = [".md", ".markdown"];

    /// <inheritdoc/>
    public override DocumentText Read(Stream content)
    {
        var text = DocumentFiles.ReadText(content);
        // Only headings at the top level start sections: a '#' line inside a list or a quote is part of it.
        var headings = Markdown.Parse(text).OfType<HeadingBlock>().ToList();
        var sections = new List<DocumentSection>();
        if (headings.Count == 0 || headings[0].Span.Start > 0) sections.Add(new DocumentSection(0, headings.Count == 0 ? text.Length : headings[0].Span.Start, null, []));
        var open = new List<(int Level, string Title)>();
        for (var i = 0; i < headings.Count; i++)
        {
            var heading = headings[i];
            // Rule: a heading closes every open heading of its level or deeper.
            open.RemoveAll(h => h.Level >= heading.Level);
            open.Add((heading.Level, Title(heading)));
            var end = i + 1 < headings.Count ? headings[i + 1].Span.Start : text.Length;
            sections.Add(new DocumentSection(heading.Span.Start, end, null, [.. open.Select(h => h.Title)]));
        }
        return new DocumentText(text, sections);
    }

    /// <summary>A heading's words without their marks: <c>## Install *fast*</c> is <c>Install fast</c>.</summary>
    private static string Title(HeadingBlock heading)
    {
        var title = new StringBuilder();
        Append(heading.Inline, title);
        return DocumentFiles.CollapseSpaces(title.ToString());
    }

    private static void Append(Inline? inline, StringBuilder title)
    {
        switch (inline)
        {
            case LiteralInline literal:
                title.Append(literal.Content.AsSpan());
                break;
            case CodeInline code:
                title.Append(code.Content);
                break;
            case LineBreakInline:
                title.Append(' ');
                break;
            case ContainerInline container:
                foreach (var child in container) Append(child, title);
                break;
        }
    }
}
