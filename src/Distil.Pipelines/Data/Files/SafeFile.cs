namespace Distil.Pipelines;

/// <summary>
/// The safe-write protocol, written once: the content goes to <c>path.tmp</c> beside the target and is moved
/// over it only when complete, so a failed or stopped write leaves the previous file as it was. For any writer of
/// files (sinks derive from <see cref="FileRowSink"/>, which uses it).
/// </summary>
public static class SafeFile
{
    /// <summary>Writes <paramref name="path"/> through <paramref name="write"/>; on any failure the temporary file is deleted and the target untouched.</summary>
    public static async Task ReplaceAsync(string path, Func<FileStream, CancellationToken, Task> write, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        var temporary = path + ".tmp";
        try
        {
            // ReadWrite: some writers (Parquet) read back what they wrote to append a row group.
            await using (var stream = new FileStream(temporary, FileMode.Create, FileAccess.ReadWrite, FileShare.None, 1 << 16, useAsync: true))
            {
                await write(stream, cancellationToken).ConfigureAwait(false);
            }
            File.Move(temporary, path, overwrite: true);
        }
        catch
        {
            File.Delete(temporary);
            throw;
        }
    }
}
