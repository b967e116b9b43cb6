namespace Distil.Pipelines;

/// <summary>The columns of the rows <see cref="DocumentRowSource"/> reads, with their types: one row per chunk.</summary>
public static class DocumentColumns
{
    /// <summary>The file's path relative to the folder, with <c>/</c> between folders: <c>guides/install.md</c>.</summary>
    public const string Source = "source";

    /// <summary>The reader's format: <c>text</c>, <c>markdown</c>, <c>html</c>, <c>pdf</c>.</summary>
    public const string Format = "format";

    /// <summary>The PDF page where the chunk starts, from 1; null for other formats.</summary>
    public const string Page = "page";

    /// <summary>The headings the chunk is under, outermost first (Markdown and HTML); empty otherwise.</summary>
    public const string HeadingPath = "heading_path";

    /// <summary>The chunk's place among its document's chunks, from 0.</summary>
    public const string ChunkIndex = "chunk_index";

    /// <summary>The offset of the chunk's first character in the document's text.</summary>
    public const string Start = "start";

    /// <summary>The offset just past the chunk's last character.</summary>
    public const string End = "end";

    /// <summary>The chunk's text.</summary>
    public const string Text = "text";

    /// <summary>The chunk's tokens, by the chunking's tokenizer.</summary>
    public const string TokenCount = "token_count";

    /// <summary>Null for a chunk; for a file that could not be read, why (its one row has no text).</summary>
    public const string Error = "error";

    /// <summary>The columns and their types, declared, so that typed files (Parquet) are written with them.</summary>
    public static RowSchema Schema { get; } = new(
        new Column(Source, ColumnType.String, Nullable: false, Description: "The file, relative to the folder."),
        new Column(Format, ColumnType.String, Nullable: false, Description: "The document's format."),
        new Column(Page, ColumnType.Integer, Nullable: true, Description: "The PDF page where the chunk starts, from 1."),
        new Column(HeadingPath, ColumnType.ListOf(ColumnType.String), Nullable: false, Description: "The headings the chunk is under, outermost first."),
        new Column(ChunkIndex, ColumnType.Integer, Nullable: false, Description: "The chunk's place in its document, from 0."),
        new Column(Start, ColumnType.Integer, Nullable: false, Description: "The offset of the chunk's first character in the document's text."),
        new Column(End, ColumnType.Integer, Nullable: false, Description: "The offset just past the chunk's last character."),
        new Column(Text, ColumnType.String, Nullable: false, Description: "The chunk's text."),
        new Column(TokenCount, ColumnType.Integer, Nullable: false, Description: "The chunk's tokens."),
        new Column(Error, ColumnType.String, Nullable: true, Description: "Why the file could not be read; null for a chunk."));
}
