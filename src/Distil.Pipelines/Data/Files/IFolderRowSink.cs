namespace Distil.Pipelines;

/// <summary>
/// A sink that writes a folder of files rather than one file (the Hugging Face layout of the Distil.Parquet
/// package): a sharded run keeps the keys of its rows in the folder, and <c>distil merge</c> reads the folder's
/// <c>data/*</c> files back in name order, each in the format its extension names.
/// </summary>
public interface IFolderRowSink : IRowSink
{
    /// <summary>The folder written.</summary>
    string Directory { get; }
}
