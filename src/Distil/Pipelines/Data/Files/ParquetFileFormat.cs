namespace Distil.Pipelines;

/// <summary>Parquet, built in for now (it moves to its own package later, registered the same way).</summary>
internal sealed class ParquetFileFormat : RowFileFormat
{
    public override string Name => "parquet";

    public override IReadOnlyList<string> Extensions { get; } = [".parquet"];

    public override IRowSource OpenSource(string path) => new ParquetRowSource(path);

    public override IRowSink OpenSink(string path) => new ParquetRowSink(path);
}
