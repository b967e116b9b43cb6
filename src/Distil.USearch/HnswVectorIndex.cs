using System.Runtime.InteropServices;
using Cloud.Unum.USearch;
using Distil.Pipelines;

namespace Distil.USearch;

/// <summary>
/// Vector indexes for semantic deduplication, backed by USearch's HNSW graph (cosine metric, half
/// precision: about 2 × dimensions + 200 bytes a vector).
/// </summary>
/// <example>
/// <code>
/// pipeline.Load(rows)
///     .Embed("instruction", embeddings)
///     .Deduplicate("instruction_embedding", new DedupOptions
///     {
///         Method = DedupMethod.Embedding, Threshold = 0.95, VectorIndex = HnswVectorIndex.Factory(),
///     });
/// </code>
/// </example>
public static class HnswVectorIndex
{
    /// <summary>
    /// A factory of HNSW indexes. <paramref name="searchBreadth"/> is how many candidates a search
    /// looks at (more finds near neighbours more surely, and costs time); <paramref name="connectivity"/>
    /// is how many links each vector keeps.
    /// </summary>
    public static IVectorIndexFactory Factory(int searchBreadth = 64, int connectivity = 16)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(searchBreadth, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(connectivity, 2);
        return new UsearchFactory(searchBreadth, connectivity);
    }

    private sealed class UsearchFactory(int searchBreadth, int connectivity) : IVectorIndexFactory
    {
        public string Description => $"usearch-hnsw-cos-f16-m{connectivity}-ef{searchBreadth}";

        public IVectorIndex Create(int dimensions) => new UsearchVectorIndex(dimensions, searchBreadth, connectivity);
    }

    // Vectors are added in order by one thread, so the same vectors give the same graph and the same answers.
    private sealed class UsearchVectorIndex : IVectorIndex
    {
        private readonly USearchIndex _index;
        private long _count;

        public UsearchVectorIndex(int dimensions, int searchBreadth, int connectivity)
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(dimensions, 1);
            try
            {
                _index = new USearchIndex(MetricKind.Cos, ScalarKind.Float16, (ulong)dimensions, (ulong)connectivity, expansionAdd: 128, expansionSearch: (ulong)searchBreadth);
            }
            catch (Exception error) when (error is DllNotFoundException or BadImageFormatException or EntryPointNotFoundException)
            {
                throw new PlatformNotSupportedException($"USearch has no native library for {RuntimeInformation.RuntimeIdentifier} (it ships linux-x64, win-x64 and osx-arm64): deduplicate by minhash or exact there.", error);
            }
        }

        public void Add(long key, float[] vector)
        {
            _index.Add((ulong)key, vector);
            _count++;
        }

        public (long Key, double Similarity)? Nearest(float[] vector)
        {
            if (_count == 0 || _index.Search(vector, 1, out ulong[] keys, out float[] distances) == 0) return null;
            return ((long)keys[0], 1.0 - distances[0]);
        }

        public void Dispose() => _index.Dispose();
    }
}
