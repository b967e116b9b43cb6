using System.Globalization;

namespace Distil.Pipelines;

/// <summary>
/// The exclusive lock a run holds on its run directory: one process per directory, so two runs
/// never pay twice for the same rows nor write into one store. It is an OS file lock on
/// <see cref="FileName"/> (<c>flock</c> on Unix, a share-mode lock on Windows), released by the OS
/// when the process ends however it ends, so a killed run never leaves a stale lock and can be
/// resumed at once. Beside it, <see cref="OwnerFileName"/> says which process holds it.
/// </summary>
internal sealed class RunDirectoryLock : IDisposable
{
    public const string FileName = "distil-run.lock";
    public const string OwnerFileName = "distil-run.owner";

    private readonly FileStream _file;

    private RunDirectoryLock(FileStream file) => _file = file;

    /// <summary>Takes the lock of <paramref name="runDirectory"/> (creating the directory), or fails at once.</summary>
    /// <exception cref="PipelineException">Another process holds it; the message names the directory and the process.</exception>
    public static RunDirectoryLock Acquire(string runDirectory)
    {
        Directory.CreateDirectory(runDirectory);
        var full = Path.GetFullPath(runDirectory);
        FileStream file;
        try
        {
            file = new FileStream(Path.Combine(full, FileName), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException error) when (error is not FileNotFoundException and not DirectoryNotFoundException)
        {
            throw new PipelineException(
                $"The run directory '{full}' is in use by {Owner(full)}; wait for that run to end, or give this one another run directory.", error);
        }
        try
        {
            File.WriteAllText(Path.Combine(full, OwnerFileName), string.Create(CultureInfo.InvariantCulture,
                $"process {Environment.ProcessId} on {Environment.MachineName}, started {DateTimeOffset.Now:yyyy-MM-dd HH:mm:ss zzz}"));
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException)
        {
            // Naming the holder is a courtesy; the lock itself is what keeps other runs out.
        }
        return new RunDirectoryLock(file);
    }

    public void Dispose() => _file.Dispose();

    private static string Owner(string runDirectory)
    {
        try
        {
            var owner = File.ReadAllText(Path.Combine(runDirectory, OwnerFileName)).Trim();
            return owner.Length > 0 ? owner : "another process";
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException)
        {
            return "another process";
        }
    }
}
