namespace Distil.Pipelines;

/// <summary>
/// <c>RowSources.Parquet(path)</c>, added to Distil's <see cref="RowSources"/> by this package (a C# 14 extension
/// member; with an earlier language version write <c>new ParquetRowSource(path)</c>).
/// </summary>
public static class ParquetRowSources
{
    extension(RowSources)
    {
        /// <summary>A Parquet file: each row as a JSON object, columns typed as the file types them.</summary>
        public static IRowSource Parquet(string path) => new ParquetRowSource(path);
    }
}
