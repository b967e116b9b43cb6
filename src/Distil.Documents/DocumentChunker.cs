using Microsoft.ML.Tokenizers;

namespace Distil.Pipelines;

/// <summary>One chunk of a document: where it lies in the text, what it holds, and where in the document it is.</summary>
internal sealed record DocumentChunk(int Start, int End, string Text, int TokenCount, int? Page, IReadOnlyList<string> HeadingPath);

/// <summary>Cuts a document's text into chunks by <see cref="DocumentChunking"/>.</summary>
internal static class DocumentChunker
{
    /// <summary>The chunks of <paramref name="document"/>, in order.</summary>
    public static IEnumerable<DocumentChunk> Chunks(DocumentText document, DocumentChunking chunking) => chunking.By switch
    {
        DocumentChunkBy.Tokens => Windows(document, 0, document.Text.Length, chunking, null),
        _ => document.Sections.SelectMany(section => Windows(document, section.Start, section.End, chunking, section)),
    };

    /// <summary>
    /// The text between <paramref name="start"/> and <paramref name="end"/>, trimmed of the white space around it, as
    /// windows of at most MaxTokens tokens, each starting OverlapTokens tokens before the previous one ends; none when
    /// the span is blank. <paramref name="section"/> gives every window its page and headings; without one, each
    /// window takes the section where it starts.
    /// </summary>
    private static IEnumerable<DocumentChunk> Windows(DocumentText document, int start, int end, DocumentChunking chunking, DocumentSection? section)
    {
        var text = document.Text;
        while (start < end && char.IsWhiteSpace(text[start])) start++;
        while (end > start && char.IsWhiteSpace(text[end - 1])) end--;
        if (start == end) yield break;

        // Without normalization, so that the tokens' offsets are offsets in the document's own text.
        var tokens = chunking.TokenizerOrDefault.EncodeToTokens(text.AsSpan(start, end - start), out _, considerNormalization: false);
        if (tokens.Count == 0)
        {
            var whole = section ?? document.SectionAt(start);
            yield return new DocumentChunk(start, end, text[start..end], 0, whole?.Page, whole?.HeadingPath ?? []);
            yield break;
        }
        var step = chunking.MaxTokens - chunking.OverlapTokens;
        for (var first = 0; ; first += step)
        {
            var last = Math.Min(first + chunking.MaxTokens, tokens.Count);
            var (from, to) = Span(tokens, first, last, start);
            var where = section ?? document.SectionAt(from);
            yield return new DocumentChunk(from, to, text[from..to], last - first, where?.Page, where?.HeadingPath ?? []);
            if (last == tokens.Count) yield break;
        }
    }

    /// <summary>
    /// The characters tokens [<paramref name="first"/>, <paramref name="last"/>) cover, as offsets in the document. A
    /// character the tokenizer split into several byte tokens is covered by each of them, so the span takes the widest
    /// reach of the window's tokens.
    /// </summary>
    private static (int From, int To) Span(IReadOnlyList<EncodedToken> tokens, int first, int last, int offset)
    {
        var from = int.MaxValue;
        var to = 0;
        for (var i = first; i < last; i++)
        {
            from = Math.Min(from, tokens[i].Offset.Start.Value);
            to = Math.Max(to, tokens[i].Offset.End.Value);
        }
        return (from + offset, to + offset);
    }
}
