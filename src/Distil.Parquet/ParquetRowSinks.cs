namespace Distil.Pipelines;

/// <summary>
/// <c>RowSinks.Parquet(path)</c> and <c>RowSinks.HuggingFace(folder)</c>, added to Distil's <see cref="RowSinks"/> by
/// this package (C# 14 extension members; with an earlier language version write <c>new ParquetRowSink(path)</c> or
/// <c>new HuggingFaceRowSink(folder)</c>).
/// </summary>
public static class ParquetRowSinks
{
    extension(RowSinks)
    {
        /// <summary>A Parquet file, each column typed from the pipeline's schema (structs, typed lists, nulls anywhere).</summary>
        public static IRowSink Parquet(string path) => new ParquetRowSink(path);

        /// <summary>
        /// A folder in the Hugging Face dataset layout: <c>data/train-00000-of-0000N.parquet</c> shards of at most
        /// <paramref name="maxShardBytes"/>, a dataset card (<c>README.md</c>) and <c>dataset_info.json</c>.
        /// </summary>
        public static IRowSink HuggingFace(string directory, long maxShardBytes = 500_000_000) => new HuggingFaceRowSink(directory, maxShardBytes);
    }
}
