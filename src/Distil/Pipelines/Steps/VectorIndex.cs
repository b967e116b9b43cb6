namespace Distil.Pipelines;

/// <summary>
/// Vectors searched by cosine similarity, for semantic deduplication
/// (<see cref="DedupMethod.Embedding"/>): the kept rows' embeddings go in, each new row asks for its
/// nearest. The package <c>Distil.USearch</c> provides an approximate (HNSW) one,
/// <c>HnswVectorIndex.Factory()</c>; write your own over any vector library.
/// </summary>
public interface IVectorIndex : IDisposable
{
    /// <summary>What the index is, for the step's signature (a change recomputes the step).</summary>
    string Description { get; }

    /// <summary>Adds <paramref name="vector"/> under <paramref name="key"/> (keys come 0, 1, 2… in order).</summary>
    void Add(long key, float[] vector);

    /// <summary>The stored vector most similar to <paramref name="vector"/>, with its cosine similarity; null when the index is empty.</summary>
    (long Key, double Similarity)? Nearest(float[] vector);
}
