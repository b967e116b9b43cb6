namespace Distil.Tests.Support;

/// <summary>
/// A fresh folder under the system's temp folder for one test or fixture, deleted with everything
/// in it on <see cref="Dispose"/>. Its name starts with a readable prefix (e.g. "distil-cli-") so
/// that a folder left behind by a killed test run says which tests made it.
/// </summary>
/// <example>
/// <code>
/// private TempFolder _temp = null!;
/// [SetUp] public void CreateFolder() => _temp = new TempFolder("distil-cli-");
/// [TearDown] public void DeleteFolder() => _temp.Dispose();
/// </code>
/// </example>
public sealed class TempFolder : IDisposable
{
    /// <summary>Creates the folder: <paramref name="prefix"/> followed by random characters.</summary>
    public TempFolder(string prefix = "distil-test-")
    {
        Path = Directory.CreateTempSubdirectory(prefix).FullName;
    }

    /// <summary>The folder's full path.</summary>
    public string Path { get; }

    /// <summary>The full path of <paramref name="name"/> inside the folder (the file is not created).</summary>
    public string File(string name) => System.IO.Path.Combine(Path, name);

    /// <inheritdoc cref="File(string)"/>
    public string File(params string[] names) => System.IO.Path.Combine([Path, .. names]);

    /// <summary>
    /// Deletes the folder and everything in it. A folder that is already gone is fine; a file a
    /// child process still writes to may make the first attempt fail, so it is tried once more.
    /// </summary>
    public void Dispose()
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                if (Directory.Exists(Path)) Directory.Delete(Path, recursive: true);
                return;
            }
            catch (IOException) when (attempt < 2)
            {
                Thread.Sleep(200);
            }
        }
    }

    /// <summary>The folder's path, so that a message naming the fixture's folder reads well.</summary>
    public override string ToString() => Path;
}
