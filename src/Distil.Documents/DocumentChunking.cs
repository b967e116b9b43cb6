using System.Globalization;
using Microsoft.ML.Tokenizers;

namespace Distil.Pipelines;

/// <summary>How a document is cut into chunks.</summary>
public enum DocumentChunkBy
{
    /// <summary>
    /// One chunk per section (a heading and the text under it up to the next heading, a PDF page, a plain text file
    /// whole); a section longer than <see cref="DocumentChunking.MaxTokens"/> is cut into windows as by
    /// <see cref="Tokens"/>.
    /// </summary>
    Headings,

    /// <summary>
    /// Windows of <see cref="DocumentChunking.MaxTokens"/> tokens over the whole text, each starting
    /// <see cref="DocumentChunking.OverlapTokens"/> tokens before the previous one ends; a chunk's page and heading path are
    /// those where it starts.
    /// </summary>
    Tokens,
}

/// <summary>
/// How <see cref="DocumentRowSource"/> cuts documents into chunks: by headings (the default) or by tokens, at most
/// <see cref="MaxTokens"/> tokens a chunk with <see cref="OverlapTokens"/> tokens shared between neighbours, counted
/// with <see cref="Tokenizer"/> (OpenAI's o200k_base unless set).
/// </summary>
/// <example>
/// <code>
/// RowSources.Documents("docs", new DocumentChunking { By = DocumentChunkBy.Tokens, MaxTokens = 256, OverlapTokens = 32 });
/// </code>
/// </example>
public sealed class DocumentChunking
{
    private static readonly Lazy<Tokenizer> O200kBase = new(() => TiktokenTokenizer.CreateForEncoding("o200k_base"));

    /// <summary>By headings (the default) or by tokens.</summary>
    public DocumentChunkBy By { get; init; } = DocumentChunkBy.Headings;

    /// <summary>The most tokens in a chunk (default 512).</summary>
    public int MaxTokens { get; init; } = 512;

    /// <summary>Tokens a window shares with the one before it when a text is cut into windows (default 64); less than <see cref="MaxTokens"/>.</summary>
    public int OverlapTokens { get; init; } = 64;

    /// <summary>The tokenizer that counts tokens; null (the default) for o200k_base, the encoding of OpenAI's current models.</summary>
    public Tokenizer? Tokenizer { get; init; }

    /// <summary>The tokenizer in use: <see cref="Tokenizer"/>, or o200k_base.</summary>
    internal Tokenizer TokenizerOrDefault => Tokenizer ?? O200kBase.Value;

    /// <summary>Checks the settings, so that a bad one fails where the source is made, not at the first document.</summary>
    /// <exception cref="ArgumentException"><see cref="MaxTokens"/> is below 1, or <see cref="OverlapTokens"/> is negative or not below it.</exception>
    internal DocumentChunking Checked()
    {
        if (MaxTokens < 1) throw new ArgumentException($"MaxTokens is {MaxTokens}; a chunk holds at least 1 token.");
        if (OverlapTokens < 0 || OverlapTokens >= MaxTokens)
            throw new ArgumentException($"OverlapTokens is {OverlapTokens}; it must be at least 0 and less than MaxTokens ({MaxTokens}), or the windows would not move on.");
        return this;
    }

    /// <summary>The settings as text, for the run's signature: a change of them reads the documents again.</summary>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"by {By.ToString().ToLowerInvariant()}, max {MaxTokens} tokens, overlap {OverlapTokens}, tokenizer {(Tokenizer is null ? "o200k_base" : Tokenizer.GetType().Name)}");
}
