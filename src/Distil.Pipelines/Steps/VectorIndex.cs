namespace Distil.Pipelines;

/// <summary>
/// Makes the vector indexes of semantic deduplication (<see cref="DedupMethod.Embedding"/>). The
/// package <c>Distil.USearch</c> provides an approximate (HNSW) one, <c>HnswVectorIndex.Factory()</c>;
/// write your own over any vector library.
/// </summary>
public interface IVectorIndexFactory
{
    /// <summary>What the indexes are, for the step's signature (a change recomputes the step).</summary>
    string Description { get; }

    /// <summary>An empty index of vectors with <paramref name="dimensions"/> numbers.</summary>
    IVectorIndex Create(int dimensions);
}

/// <summary>
/// Vectors searched by cosine similarity: the kept rows' embeddings go in, each new row asks for
/// its nearest.
/// </summary>
public interface IVectorIndex : IDisposable
{
    /// <summary>Adds <paramref name="vector"/> under <paramref name="key"/> (keys come 0, 1, 2… in order).</summary>
    void Add(long key, float[] vector);

    /// <summary>The stored vector most similar to <paramref name="vector"/>, with its cosine similarity; null when the index is empty.</summary>
    (long Key, double Similarity)? Nearest(float[] vector);
}
