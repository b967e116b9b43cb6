namespace Distil.Pipelines;

/// <summary>
/// <c>RowSources.Documents(folder)</c>, added to Distil's <see cref="RowSources"/> by this package (a C# 14 extension
/// member; with an earlier language version write <c>new DocumentRowSource(folder)</c>).
/// </summary>
public static class DocumentRowSources
{
    extension(RowSources)
    {
        /// <summary>
        /// The documents of <paramref name="folder"/> (plain text, Markdown, HTML; PDF with Distil.Documents.Pdf) as rows
        /// of chunks: <c>source</c>, <c>format</c>, <c>page</c>, <c>heading_path</c>, <c>chunk_index</c>, <c>start</c>,
        /// <c>end</c>, <c>text</c>, <c>token_count</c>, <c>error</c> (<see cref="DocumentColumns"/>), cut by
        /// <paramref name="chunking"/> (by headings, at most 512 tokens with 64 overlapping, unless given).
        /// </summary>
        /// <exception cref="ArgumentException">The chunking's settings do not make sense; the message says which.</exception>
        public static DocumentRowSource Documents(string folder, DocumentChunking? chunking = null) => new(folder, chunking);
    }
}
