namespace Distil.Pipelines;

/// <summary>Plain text (<c>.txt</c>, <c>.text</c>): the file's text as it is, one section with no heading.</summary>
public sealed class TextDocumentReader : DocumentReader
{
    /// <inheritdoc/>
    public override string Name => "text";

    /// <inheritdoc/>
    public override IReadOnlyList<string> Extensions { get; } = [".txt", ".text"];

    /// <inheritdoc/>
    public override DocumentText Read(Stream content) => DocumentText.Plain(DocumentFiles.ReadText(content));
}
