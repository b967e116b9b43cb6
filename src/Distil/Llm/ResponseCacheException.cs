namespace Distil;

/// <summary>The response cache file cannot be used: it is not a SQLite database, is damaged, or is locked.</summary>
public sealed class ResponseCacheException : Exception
{
    /// <summary>Creates the error for the cache at <paramref name="path"/>.</summary>
    public ResponseCacheException(string path, string message, Exception? innerException = null)
        : base(message, innerException) => Path = path;

    /// <summary>The cache file.</summary>
    public string Path { get; }
}
