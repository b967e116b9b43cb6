namespace Distil.Pipelines;

/// <summary>
/// The text of one document as a <see cref="DocumentReader"/> reads it, and its sections: the spans of the text that
/// belong to one PDF page or one heading. Chunks are cut from <see cref="Text"/>, and their <c>start</c> and
/// <c>end</c> are offsets into it.
/// </summary>
/// <example>
/// <code>
/// var text = "# Title\nSome words.";
/// var document = new DocumentText(text, [new DocumentSection(0, text.Length, null, ["Title"])]);
/// </code>
/// </example>
public sealed class DocumentText
{
    /// <summary>A document's <paramref name="text"/> and its <paramref name="sections"/>, in order and not overlapping.</summary>
    /// <exception cref="ArgumentException">A section lies outside the text, ends before it starts, or overlaps the one before it.</exception>
    public DocumentText(string text, IReadOnlyList<DocumentSection> sections)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(sections);
        var end = 0;
        foreach (var section in sections)
        {
            if (section.Start < end || section.End < section.Start || section.End > text.Length)
            {
                throw new ArgumentException(
                    $"The section {section.Start}..{section.End} does not fit: sections go in order, do not overlap, and lie within the text (0..{text.Length}).", nameof(sections));
            }
            end = section.End;
        }
        Text = text;
        Sections = sections;
    }

    /// <summary>A document of one section, the whole text, with no page and no heading.</summary>
    public static DocumentText Plain(string text) => new(text, [new DocumentSection(0, text.Length, null, [])]);

    /// <summary>The document's text.</summary>
    public string Text { get; }

    /// <summary>The sections of the text, in order; text outside every section belongs to none (a chunk there has no page or heading path).</summary>
    public IReadOnlyList<DocumentSection> Sections { get; }

    /// <summary>The section that holds the character at <paramref name="offset"/>, or null.</summary>
    public DocumentSection? SectionAt(int offset)
    {
        foreach (var section in Sections)
        {
            if (offset >= section.Start && offset < section.End) return section;
        }
        return null;
    }
}

/// <summary>A span of a document's text: one PDF page, or the text under one heading.</summary>
/// <param name="Start">The offset of its first character in <see cref="DocumentText.Text"/>.</param>
/// <param name="End">The offset just past its last character.</param>
/// <param name="Page">The PDF page it is, counted from 1; null for formats without pages.</param>
/// <param name="HeadingPath">The headings it is under, outermost first, its own heading last; empty before the first heading.</param>
public sealed record DocumentSection(int Start, int End, int? Page, IReadOnlyList<string> HeadingPath);
