using System.Runtime.CompilerServices;
using Distil.Pipelines;

[assembly: RowFileFormat(typeof(ParquetFileFormat))]

namespace Distil.Pipelines;

/// <summary>
/// The <c>parquet</c> format (<c>.parquet</c> files): <see cref="ParquetRowSource"/> and <see cref="ParquetRowSink"/>.
/// Referencing the Distil.Parquet package registers it with <see cref="RowFileFormats"/>: Distil's generator does so
/// in the referencing program (from this assembly's <see cref="RowFileFormatAttribute"/>), and this assembly's module
/// initializer does when it loads, for programs built without the generator.
/// </summary>
public sealed class ParquetFileFormat : RowFileFormat
{
    /// <inheritdoc/>
    public override string Name => "parquet";

    /// <inheritdoc/>
    public override IReadOnlyList<string> Extensions { get; } = [".parquet"];

    /// <inheritdoc/>
    public override IRowSource OpenSource(string path) => new ParquetRowSource(path);

    /// <inheritdoc/>
    public override IRowSink OpenSink(string path) => new ParquetRowSink(path);

    /// <summary>A folder in the Hugging Face dataset layout (<see cref="HuggingFaceRowSink"/>).</summary>
    public override IFolderRowSink? OpenFolderSink(string directory) => new HuggingFaceRowSink(directory);

#pragma warning disable CA2255 // A library's module initializer: registering the format is this package's whole point.
    /// <summary>Registers the format as soon as any type of this package is used.</summary>
    [ModuleInitializer]
    internal static void RegisterOnLoad() => RowFileFormats.Register(new ParquetFileFormat());
#pragma warning restore CA2255
}
