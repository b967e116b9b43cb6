using System.Runtime.CompilerServices;
using Distil.Pipelines;

[assembly: RowFileFormat(typeof(CsvFileFormat))]

namespace Distil.Pipelines;

/// <summary>
/// The <c>csv</c> format (<c>.csv</c> files): <see cref="CsvRowSource"/> and <see cref="CsvRowSink"/>. Referencing the
/// Distil.Csv package registers it with <see cref="RowFileFormats"/>: Distil's generator does so in the referencing
/// program (from this assembly's <see cref="RowFileFormatAttribute"/>), and this assembly's module initializer does
/// when it loads, for programs built without the generator.
/// </summary>
public sealed class CsvFileFormat : RowFileFormat
{
    /// <inheritdoc/>
    public override string Name => "csv";

    /// <inheritdoc/>
    public override IReadOnlyList<string> Extensions { get; } = [".csv"];

    /// <inheritdoc/>
    public override IRowSource OpenSource(string path) => new CsvRowSource(path);

    /// <inheritdoc/>
    public override IRowSink OpenSink(string path) => new CsvRowSink(path);

#pragma warning disable CA2255 // A library's module initializer: registering the format is this package's whole point.
    /// <summary>Registers the format as soon as any type of this package is used.</summary>
    [ModuleInitializer]
    internal static void RegisterOnLoad() => RowFileFormats.Register(new CsvFileFormat());
#pragma warning restore CA2255
}
