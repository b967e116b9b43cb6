using Microsoft.Data.Sqlite;

namespace Distil.Pipelines;

/// <summary>
/// A SQLite file of a run directory opened so that nothing in the directory is created or changed
/// (what a dry run promises): a file whose last writer closed it cleanly is opened immutable (no
/// lock, no <c>-wal</c> or <c>-shm</c> file made); a file with a write-ahead log beside it (a run
/// killed, or still running) is copied with its log to a temporary folder and read there, since
/// even a read-only connection to it would write its shared-memory index.
/// </summary>
internal sealed class ReadOnlyDatabase : IDisposable
{
    private readonly string? _copy;

    private ReadOnlyDatabase(SqliteConnection connection, string? copy)
    {
        Connection = connection;
        _copy = copy;
    }

    /// <summary>The open connection (read it only).</summary>
    public SqliteConnection Connection { get; }

    /// <summary>Opens <paramref name="path"/>; null when there is no such file.</summary>
    /// <exception cref="SqliteException">The file is not a SQLite database.</exception>
    public static ReadOnlyDatabase? Open(string path)
    {
        if (!File.Exists(path)) return null;
        if (!File.Exists(path + "-wal"))
        {
            // immutable: SQLite takes no lock and makes no journal file; the URI form needs the path escaped.
            var uri = new Uri(Path.GetFullPath(path)).AbsoluteUri + "?immutable=1";
            return new ReadOnlyDatabase(Connect(uri, SqliteOpenMode.ReadOnly), null);
        }
        var folder = Directory.CreateTempSubdirectory("distil-dry-run-").FullName;
        try
        {
            var copy = Path.Combine(folder, Path.GetFileName(path));
            File.Copy(path, copy);
            // The log may be gone by now (its run closed the file): the file alone is then the whole of it.
            try
            {
                File.Copy(path + "-wal", copy + "-wal");
            }
            catch (FileNotFoundException)
            {
            }
            return new ReadOnlyDatabase(Connect(copy, SqliteOpenMode.ReadWrite), folder);
        }
        catch
        {
            Directory.Delete(folder, recursive: true);
            throw;
        }
    }

    private static SqliteConnection Connect(string dataSource, SqliteOpenMode mode)
    {
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = dataSource, Mode = mode, Pooling = false }.ToString());
        connection.Open();
        return connection;
    }

    /// <summary>Closes the connection and deletes the copy, if one was made.</summary>
    public void Dispose()
    {
        Connection.Dispose();
        if (_copy is not null)
        {
            try
            {
                Directory.Delete(_copy, recursive: true);
            }
            catch (IOException)
            {
                // A temporary folder left behind is harmless; the run directory is untouched either way.
            }
        }
    }
}
