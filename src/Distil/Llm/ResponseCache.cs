using Microsoft.Data.Sqlite;

namespace Distil;

/// <summary>
/// LLM answers kept in an embedded SQLite file, keyed by a hash of the whole request, so that a
/// rerun of the same work asks the LLM nothing. It stores the hash and the answer only: never a
/// prompt in clear, an API key or a header. Several processes may share one file (WAL mode;
/// writers wait for each other up to <see cref="BusyTimeout"/>).
/// </summary>
/// <example>
/// <code>
/// using var cache = ResponseCache.Open("cache/responses.db");
/// IChatClient llm = provider.AsBuilder().UseResponseCache(cache).UseResilience().Build();
/// </code>
/// </example>
public sealed class ResponseCache : IDisposable
{
    private const int SchemaVersion = 1;
    private const int SqliteBusy = 5;
    private const int SqliteLocked = 6;
    private const int SqliteCorrupt = 11;
    private const int SqliteNotADatabase = 26;

    private readonly string _connectionString;

    private ResponseCache(string path, string connectionString, TimeSpan busyTimeout)
    {
        Path = path;
        _connectionString = connectionString;
        BusyTimeout = busyTimeout;
    }

    /// <summary>How long an operation waits for another writer before it gives up (default 30 s).</summary>
    public TimeSpan BusyTimeout { get; }

    /// <summary>The cache file's full path.</summary>
    public string Path { get; }

    /// <summary>
    /// Opens the cache at <paramref name="path"/>, creating the file and its folder when absent.
    /// </summary>
    /// <param name="path">The cache file, e.g. <c>cache/responses.db</c>.</param>
    /// <param name="busyTimeout">How long to wait for another process that holds the file (default 30 s).</param>
    /// <exception cref="ResponseCacheException">The file is not a Distil response cache, is damaged, or stays locked.</exception>
    public static ResponseCache Open(string path, TimeSpan? busyTimeout = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        var timeout = busyTimeout ?? TimeSpan.FromSeconds(30);
        ArgumentOutOfRangeException.ThrowIfLessThan(timeout, TimeSpan.FromSeconds(1), nameof(busyTimeout));
        var fullPath = System.IO.Path.GetFullPath(path);
        if (Directory.Exists(fullPath))
        {
            throw new ResponseCacheException(fullPath, $"The response cache path '{fullPath}' is a folder; give a file path such as '{System.IO.Path.Combine(fullPath, "responses.db")}'.");
        }
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(fullPath)!);
        var connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = fullPath,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Pooling = true,
            DefaultTimeout = (int)Math.Ceiling(timeout.TotalSeconds),
        }.ToString();

        var cache = new ResponseCache(fullPath, connectionString, timeout);
        cache.Run("create", connection =>
        {
            using var command = connection.CreateCommand();
            command.CommandText = "PRAGMA journal_mode = WAL;";
            command.ExecuteNonQuery();
            command.CommandText = "PRAGMA user_version;";
            var version = Convert.ToInt32(command.ExecuteScalar()!, System.Globalization.CultureInfo.InvariantCulture);
            if (version is not (0 or SchemaVersion))
            {
                throw new ResponseCacheException(fullPath,
                    $"The file '{fullPath}' is not a Distil response cache of this version (its user_version is {version}). Give another cache path, or move the file away.");
            }
            // A database of someone else's (version 0 with tables of its own) is not taken over.
            command.CommandText = "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name <> 'responses'";
            if (version == 0 && Convert.ToInt64(command.ExecuteScalar()!, System.Globalization.CultureInfo.InvariantCulture) > 0)
            {
                throw new ResponseCacheException(fullPath,
                    $"The file '{fullPath}' is a SQLite database of another program, not a Distil response cache. Give the cache a path of its own.");
            }
            command.CommandText =
                "CREATE TABLE IF NOT EXISTS responses (key TEXT PRIMARY KEY, response TEXT NOT NULL, created_at TEXT NOT NULL);" +
                $"PRAGMA user_version = {SchemaVersion};";
            command.ExecuteNonQuery();
            return 0;
        });
        return cache;
    }

    /// <summary>How many answers the cache holds.</summary>
    public long Count => Run("count", connection =>
    {
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT COUNT(*) FROM responses";
        return (long)command.ExecuteScalar()!;
    });

    /// <summary>The stored answer (JSON) for <paramref name="key"/>, or null.</summary>
    /// <exception cref="ResponseCacheException">The file cannot be read.</exception>
    public Task<string?> ReadAsync(string key, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(key);
        cancellationToken.ThrowIfCancellationRequested();
        return Task.FromResult(Run("read", connection =>
        {
            using var command = connection.CreateCommand();
            command.CommandText = "SELECT response FROM responses WHERE key = $key";
            command.Parameters.AddWithValue("$key", key);
            return command.ExecuteScalar() as string;
        }));
    }

    /// <summary>Stores <paramref name="response"/> (JSON) under <paramref name="key"/>, replacing any earlier answer.</summary>
    /// <exception cref="ResponseCacheException">The file cannot be written.</exception>
    public Task WriteAsync(string key, string response, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(response);
        cancellationToken.ThrowIfCancellationRequested();
        Run("write", connection =>
        {
            using var command = connection.CreateCommand();
            command.CommandText = "INSERT OR REPLACE INTO responses (key, response, created_at) VALUES ($key, $response, $created)";
            command.Parameters.AddWithValue("$key", key);
            command.Parameters.AddWithValue("$response", response);
            command.Parameters.AddWithValue("$created", DateTimeOffset.UtcNow.ToString("O"));
            return command.ExecuteNonQuery();
        });
        return Task.CompletedTask;
    }

    /// <summary>Releases pooled connections, so that the file may be moved or deleted.</summary>
    public void Dispose()
    {
        using var connection = new SqliteConnection(_connectionString);
        SqliteConnection.ClearPool(connection);
    }

    // SQLite is synchronous and fast on a local file; one pooled connection per operation keeps
    // the cache safe to use from many requests at once.
    private T Run<T>(string operation, Func<SqliteConnection, T> work)
    {
        try
        {
            using var connection = new SqliteConnection(_connectionString);
            connection.Open();
            return work(connection);
        }
        catch (SqliteException error) when (error.SqliteErrorCode is SqliteCorrupt or SqliteNotADatabase)
        {
            throw new ResponseCacheException(Path,
                $"The response cache '{Path}' is not a readable SQLite database ({error.Message}). Move or delete the file to start a new cache; no finished rows depend on it.", error);
        }
        catch (SqliteException error) when (error.SqliteErrorCode is SqliteBusy or SqliteLocked)
        {
            throw new ResponseCacheException(Path,
                $"The response cache '{Path}' stayed locked by another process for over {BusyTimeout.TotalSeconds:0} s during a {operation}. Close the other program, or give this run a cache of its own.", error);
        }
        catch (SqliteException error)
        {
            throw new ResponseCacheException(Path, $"The response cache '{Path}' failed during a {operation}: {error.Message}", error);
        }
    }
}
