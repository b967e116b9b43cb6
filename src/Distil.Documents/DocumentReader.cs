namespace Distil.Pipelines;

/// <summary>
/// Reads one format of document (<c>.md</c>, <c>.pdf</c>...) into its text and sections. Distil.Documents has
/// plain text, Markdown and HTML; Distil.Documents.Pdf adds PDF. Register one of your own with
/// <see cref="DocumentReaders.Register"/> (or <c>[assembly: DocumentReader(typeof(MyReader))]</c> in a package).
/// <code>
/// public sealed class LogReader : DocumentReader
/// {
///     public override string Name => "log";
///     public override IReadOnlyList&lt;string&gt; Extensions { get; } = [".log"];
///     public override DocumentText Read(Stream content) => DocumentText.Plain(new StreamReader(content).ReadToEnd());
/// }
/// </code>
/// </summary>
public abstract class DocumentReader
{
    /// <summary>The format's name, as rows carry it in their <c>format</c> column: <c>markdown</c>, <c>pdf</c>.</summary>
    public abstract string Name { get; }

    /// <summary>The file extensions of the format, with their dot: <c>.md</c>.</summary>
    public abstract IReadOnlyList<string> Extensions { get; }

    /// <summary>
    /// Reads a document from <paramref name="content"/> (the file's bytes; the caller disposes it). A document that
    /// cannot be read throws: the source names the file in its row's <c>error</c> and goes on with the others.
    /// </summary>
    public abstract DocumentText Read(Stream content);
}
