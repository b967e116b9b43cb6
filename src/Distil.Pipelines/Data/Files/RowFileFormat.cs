namespace Distil.Pipelines;

/// <summary>
/// A file format rows are read from and written to, found by <see cref="RowFileFormats"/> from a file's
/// extension (<see cref="RowSources.File"/>, <see cref="RowSinks.File"/>, <c>load</c>/<c>write</c> steps of
/// pipeline files, <c>distil run --input/--output</c>) or by its name (<c>--format csv</c>). JSON Lines and
/// Parquet are built in; a package adds its format (Distil.Csv adds CSV) with
/// <c>[assembly: RowFileFormat(typeof(MyFormat))]</c>, and a program may call <see cref="RowFileFormats.Register"/>.
/// </summary>
/// <example>
/// <code>
/// public sealed class TsvFormat : RowFileFormat
/// {
///     public override string Name =&gt; "tsv";
///     public override IReadOnlyList&lt;string&gt; Extensions =&gt; [".tsv"];
///     public override IRowSource OpenSource(string path) =&gt; new TsvRowSource(path);
///     public override IRowSink OpenSink(string path) =&gt; new TsvRowSink(path);
/// }
/// </code>
/// </example>
public abstract class RowFileFormat
{
    /// <summary>The format's name, lower case, as <c>--format</c> and messages say it: <c>jsonl</c>, <c>csv</c>.</summary>
    public abstract string Name { get; }

    /// <summary>The extensions of its files, with the dot, lower case: <c>.csv</c>. The first is the one written.</summary>
    public abstract IReadOnlyList<string> Extensions { get; }

    /// <summary>Rows from the file at <paramref name="path"/>; the file is opened when the rows are read, not here.</summary>
    /// <exception cref="ArgumentException">The path does not suit the format; the message says why.</exception>
    public abstract IRowSource OpenSource(string path);

    /// <summary>A sink that writes the file at <paramref name="path"/>, safely (see <see cref="FileRowSink"/>).</summary>
    /// <exception cref="ArgumentException">The format cannot write such a file; the message says why.</exception>
    public abstract IRowSink OpenSink(string path);

    /// <summary>
    /// A sink that writes a dataset folder (a path without an extension) in this format's layout, or null (the default)
    /// when the format writes single files only. The Distil.Parquet package's format writes the Hugging Face layout.
    /// </summary>
    /// <exception cref="ArgumentException">The format cannot write such a folder; the message says why.</exception>
    public virtual IFolderRowSink? OpenFolderSink(string directory) => null;
}
