using System.Globalization;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Caching.Distributed;

namespace Distil;

/// <summary>
/// LLM answers kept in an embedded SQLite file: Distil's default response cache, an
/// <see cref="IDistributedCache"/> like Redis or SQL Server ones, so the same
/// <see cref="ResponseCachingChatClient"/> stores through either. It holds keys (hashes of the
/// whole request) and answers only: never a prompt in clear, an API key or a header. Several
/// processes may share one file (WAL mode; writers wait for each other up to <see cref="BusyTimeout"/>).
/// Entries expire only when written with an expiry (absolute or sliding); by default they are kept.
/// </summary>
/// <example>
/// <code>
/// using var cache = ResponseCache.Open("cache/responses.db");
/// IChatClient llm = provider.AsBuilder().UseResponseCache(cache).UseResilience().Build();
/// </code>
/// </example>
public sealed class ResponseCache : IDistributedCache, IDisposable
{
    // 1: table responses(key, response TEXT, created_at); 2: entries with bytes and expiry.
    private const int SchemaVersion = 2;
    private const int SqliteBusy = 5;
    private const int SqliteLocked = 6;
    private const int SqliteCorrupt = 11;
    private const int SqliteNotADatabase = 26;

    private readonly string _connectionString;

    // False for a run's answers: one fsync per answer would hold a call's slot for a disk write.
    private bool _syncEachWrite = true;

    private ResponseCache(string path, string connectionString, TimeSpan busyTimeout, TimeProvider time)
    {
        Path = path;
        _connectionString = connectionString;
        BusyTimeout = busyTimeout;
        Time = time;
    }

    /// <summary>How long an operation waits for another writer before it gives up (default 30 s).</summary>
    public TimeSpan BusyTimeout { get; }

    /// <summary>The cache file's full path.</summary>
    public string Path { get; }

    /// <summary>The clock expiry is measured with.</summary>
    public TimeProvider Time { get; }

    /// <summary>
    /// Opens the cache at <paramref name="path"/>, creating the file and its folder when absent. A
    /// cache written by an earlier Distil version is carried over in place, its answers kept.
    /// </summary>
    /// <param name="path">The cache file, e.g. <c>cache/responses.db</c>.</param>
    /// <param name="busyTimeout">How long to wait for another process that holds the file (default 30 s).</param>
    /// <param name="time">The clock for expiry (default: the system clock).</param>
    /// <exception cref="ResponseCacheException">The file is not a Distil response cache, is damaged, or stays locked.</exception>
    public static ResponseCache Open(string path, TimeSpan? busyTimeout = null, TimeProvider? time = null) => OpenFile(path, busyTimeout, time, syncEachWrite: true);

    /// <summary>
    /// Opens the cache as <see cref="Open(string, TimeSpan?, TimeProvider?)"/> does;
    /// with <paramref name="syncEachWrite"/> false, a write is on disk once the operating system
    /// has it (SQLite's <c>synchronous = NORMAL</c> in WAL mode, as the run store): a killed
    /// process loses nothing, a power cut may lose the last answers, and no write waits for the disk.
    /// </summary>
    internal static ResponseCache OpenFile(string path, TimeSpan? busyTimeout, TimeProvider? time, bool syncEachWrite)
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

        var cache = new ResponseCache(fullPath, connectionString, timeout, time ?? TimeProvider.System) { _syncEachWrite = syncEachWrite };
        cache.Run("create", connection => cache.Create(connection));
        return cache;
    }

    private int Create(SqliteConnection connection)
    {
        using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA journal_mode = WAL;";
        command.ExecuteNonQuery();
        command.CommandText = "PRAGMA user_version;";
        var version = Convert.ToInt32(command.ExecuteScalar()!, CultureInfo.InvariantCulture);
        if (version is not (0 or 1 or SchemaVersion))
        {
            throw new ResponseCacheException(Path,
                $"The file '{Path}' is not a Distil response cache of this version (its user_version is {version}). Give another cache path, or move the file away.");
        }
        // A database of someone else's (version 0 with tables of its own) is not taken over.
        command.CommandText = "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name NOT IN ('responses', 'entries')";
        if (version == 0 && Convert.ToInt64(command.ExecuteScalar()!, CultureInfo.InvariantCulture) > 0)
        {
            throw new ResponseCacheException(Path,
                $"The file '{Path}' is a SQLite database of another program, not a Distil response cache. Give the cache a path of its own.");
        }
        if (version == SchemaVersion) return 0;
        // expires_at: when the entry stops being served (ms since the Unix epoch; null: never);
        // sliding_ms and absolute_at: how a read moves expires_at on.
        using var transaction = connection.BeginTransaction();
        command.Transaction = transaction;
        command.CommandText =
            "CREATE TABLE IF NOT EXISTS entries (key TEXT PRIMARY KEY, value BLOB NOT NULL, created_at TEXT NOT NULL, " +
            "expires_at INTEGER NULL, sliding_ms INTEGER NULL, absolute_at INTEGER NULL);" +
            "CREATE INDEX IF NOT EXISTS entries_expiry ON entries (expires_at) WHERE expires_at IS NOT NULL;";
        command.ExecuteNonQuery();
        if (version == 1)
        {
            // Answers already paid for stay: the same keys, the same JSON, now as bytes.
            command.CommandText =
                "INSERT OR IGNORE INTO entries (key, value, created_at) SELECT key, CAST(response AS BLOB), created_at FROM responses;" +
                "DROP TABLE responses;";
            command.ExecuteNonQuery();
        }
        command.CommandText = $"PRAGMA user_version = {SchemaVersion};";
        command.ExecuteNonQuery();
        transaction.Commit();
        return 0;
    }

    /// <summary>True when the cache holds at least one entry (expired ones not yet removed included); cheaper than <see cref="Count"/>.</summary>
    internal bool HasEntries => Run("count", connection =>
    {
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT EXISTS (SELECT 1 FROM entries)";
        return (long)command.ExecuteScalar()! != 0;
    });

    /// <summary>How many entries the cache holds (expired ones not yet removed included).</summary>
    public long Count => Run("count", connection =>
    {
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT COUNT(*) FROM entries";
        return (long)command.ExecuteScalar()!;
    });

    /// <inheritdoc/>
    /// <exception cref="ResponseCacheException">The file cannot be read.</exception>
    public byte[]? Get(string key) => GetAsync(key).GetAwaiter().GetResult();

    /// <summary>The entry stored under <paramref name="key"/>, or null when there is none or it has expired.</summary>
    /// <exception cref="ResponseCacheException">The file cannot be read.</exception>
    public Task<byte[]?> GetAsync(string key, CancellationToken token = default)
    {
        ArgumentNullException.ThrowIfNull(key);
        return RunAsync<byte[]?>("read", async connection =>
        {
            var now = Now;
            await using var command = connection.CreateCommand();
            command.CommandText = "SELECT value, expires_at, sliding_ms, absolute_at FROM entries WHERE key = $key";
            command.Parameters.AddWithValue("$key", key);
            byte[] value;
            long? slidingMs, absoluteAt;
            await using (var reader = await command.ExecuteReaderAsync(token).ConfigureAwait(false))
            {
                if (!await reader.ReadAsync(token).ConfigureAwait(false)) return null;
                if (!reader.IsDBNull(1) && reader.GetInt64(1) <= now) return null;
                value = (byte[])reader.GetValue(0);
                slidingMs = reader.IsDBNull(2) ? null : reader.GetInt64(2);
                absoluteAt = reader.IsDBNull(3) ? null : reader.GetInt64(3);
            }
            if (slidingMs is { } sliding) await SlideAsync(connection, key, now, sliding, absoluteAt, token).ConfigureAwait(false);
            return value;
        }, token);
    }

    /// <inheritdoc/>
    /// <exception cref="ResponseCacheException">The file cannot be written.</exception>
    public void Set(string key, byte[] value, DistributedCacheEntryOptions options) => SetAsync(key, value, options).GetAwaiter().GetResult();

    /// <summary>Stores <paramref name="value"/> under <paramref name="key"/>, replacing any earlier entry, with the expiry of <paramref name="options"/>.</summary>
    /// <exception cref="ResponseCacheException">The file cannot be written.</exception>
    /// <exception cref="ArgumentOutOfRangeException">An expiry is not in the future.</exception>
    public Task SetAsync(string key, byte[] value, DistributedCacheEntryOptions options, CancellationToken token = default)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(value);
        ArgumentNullException.ThrowIfNull(options);
        var now = Now;
        var (expiresAt, slidingMs, absoluteAt) = Expiry(options, now);
        return RunAsync("write", async connection =>
        {
            await using var command = connection.CreateCommand();
            command.CommandText =
                "INSERT OR REPLACE INTO entries (key, value, created_at, expires_at, sliding_ms, absolute_at) " +
                "VALUES ($key, $value, $created, $expires, $sliding, $absolute)";
            command.Parameters.AddWithValue("$key", key);
            command.Parameters.AddWithValue("$value", value);
            command.Parameters.AddWithValue("$created", Time.GetUtcNow().ToString("O", CultureInfo.InvariantCulture));
            command.Parameters.AddWithValue("$expires", (object?)expiresAt ?? DBNull.Value);
            command.Parameters.AddWithValue("$sliding", (object?)slidingMs ?? DBNull.Value);
            command.Parameters.AddWithValue("$absolute", (object?)absoluteAt ?? DBNull.Value);
            return await command.ExecuteNonQueryAsync(token).ConfigureAwait(false);
        }, token);
    }

    /// <inheritdoc/>
    public void Refresh(string key) => RefreshAsync(key).GetAwaiter().GetResult();

    /// <summary>Moves a sliding entry's expiry on, as a read does; other entries are untouched.</summary>
    public Task RefreshAsync(string key, CancellationToken token = default)
    {
        ArgumentNullException.ThrowIfNull(key);
        return RunAsync("refresh", async connection =>
        {
            var now = Now;
            await using var command = connection.CreateCommand();
            command.CommandText = "SELECT sliding_ms, absolute_at FROM entries WHERE key = $key AND sliding_ms IS NOT NULL AND (expires_at IS NULL OR expires_at > $now)";
            command.Parameters.AddWithValue("$key", key);
            command.Parameters.AddWithValue("$now", now);
            await using var reader = await command.ExecuteReaderAsync(token).ConfigureAwait(false);
            if (!await reader.ReadAsync(token).ConfigureAwait(false)) return 0;
            var sliding = reader.GetInt64(0);
            long? absoluteAt = reader.IsDBNull(1) ? null : reader.GetInt64(1);
            await reader.DisposeAsync().ConfigureAwait(false);
            await SlideAsync(connection, key, now, sliding, absoluteAt, token).ConfigureAwait(false);
            return 1;
        }, token);
    }

    /// <inheritdoc/>
    public void Remove(string key) => RemoveAsync(key).GetAwaiter().GetResult();

    /// <summary>Removes the entry stored under <paramref name="key"/>, if any.</summary>
    public Task RemoveAsync(string key, CancellationToken token = default)
    {
        ArgumentNullException.ThrowIfNull(key);
        return RunAsync("remove", async connection =>
        {
            await using var command = connection.CreateCommand();
            command.CommandText = "DELETE FROM entries WHERE key = $key";
            command.Parameters.AddWithValue("$key", key);
            return await command.ExecuteNonQueryAsync(token).ConfigureAwait(false);
        }, token);
    }

    /// <summary>Deletes every expired entry and returns how many there were (reads skip them anyway).</summary>
    public Task<int> RemoveExpiredAsync(CancellationToken token = default) => RunAsync("cleanup", async connection =>
    {
        await using var command = connection.CreateCommand();
        command.CommandText = "DELETE FROM entries WHERE expires_at IS NOT NULL AND expires_at <= $now";
        command.Parameters.AddWithValue("$now", Now);
        return await command.ExecuteNonQueryAsync(token).ConfigureAwait(false);
    }, token);

    /// <summary>Releases pooled connections, so that the file may be moved or deleted.</summary>
    public void Dispose()
    {
        using var connection = new SqliteConnection(_connectionString);
        SqliteConnection.ClearPool(connection);
    }

    private long Now => Time.GetUtcNow().ToUnixTimeMilliseconds();

    private static async Task SlideAsync(SqliteConnection connection, string key, long now, long slidingMs, long? absoluteAt, CancellationToken token)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = "UPDATE entries SET expires_at = $expires WHERE key = $key";
        command.Parameters.AddWithValue("$key", key);
        command.Parameters.AddWithValue("$expires", absoluteAt is { } absolute ? Math.Min(now + slidingMs, absolute) : now + slidingMs);
        await command.ExecuteNonQueryAsync(token).ConfigureAwait(false);
    }

    // When the entry expires, and how reads move that on, as IDistributedCache defines it.
    private static (long? ExpiresAt, long? SlidingMs, long? AbsoluteAt) Expiry(DistributedCacheEntryOptions options, long now)
    {
        long? absoluteAt = null;
        if (options.AbsoluteExpiration is { } absolute) absoluteAt = absolute.ToUnixTimeMilliseconds();
        if (options.AbsoluteExpirationRelativeToNow is { } relative)
        {
            ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(relative, TimeSpan.Zero, "options.AbsoluteExpirationRelativeToNow");
            absoluteAt = now + (long)relative.TotalMilliseconds;
        }
        if (absoluteAt <= now)
            throw new ArgumentOutOfRangeException("options.AbsoluteExpiration", options.AbsoluteExpiration, "The absolute expiration is not in the future.");
        long? slidingMs = null;
        if (options.SlidingExpiration is { } sliding)
        {
            ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(sliding, TimeSpan.Zero, "options.SlidingExpiration");
            slidingMs = (long)sliding.TotalMilliseconds;
        }
        long? expiresAt = (slidingMs, absoluteAt) switch
        {
            ({ } s, { } a) => Math.Min(now + s, a),
            ({ } s, null) => now + s,
            (null, var a) => a,
        };
        return (expiresAt, slidingMs, absoluteAt);
    }

    // One pooled connection per operation keeps the cache safe to use from many requests at once.
    // Microsoft.Data.Sqlite's async methods complete synchronously; on a local file an operation
    // takes microseconds.
    private async Task<T> RunAsync<T>(string operation, Func<SqliteConnection, Task<T>> work, CancellationToken token)
    {
        token.ThrowIfCancellationRequested();
        try
        {
            await using var connection = new SqliteConnection(_connectionString);
            await connection.OpenAsync(token).ConfigureAwait(false);
            if (!_syncEachWrite && operation == "write") SyncNormally(connection);
            return await work(connection).ConfigureAwait(false);
        }
        catch (SqliteException error)
        {
            throw Failure(operation, error);
        }
    }

    // A per-connection setting: a pooled connection may be new, so each operation sets it (no I/O).
    private static void SyncNormally(SqliteConnection connection)
    {
        using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA synchronous = NORMAL;";
        command.ExecuteNonQuery();
    }

    private T Run<T>(string operation, Func<SqliteConnection, T> work)
    {
        try
        {
            using var connection = new SqliteConnection(_connectionString);
            connection.Open();
            return work(connection);
        }
        catch (SqliteException error)
        {
            throw Failure(operation, error);
        }
    }

    private ResponseCacheException Failure(string operation, SqliteException error) => error.SqliteErrorCode switch
    {
        SqliteCorrupt or SqliteNotADatabase => new ResponseCacheException(Path,
            $"The response cache '{Path}' is not a readable SQLite database ({error.Message}). Move or delete the file to start a new cache; no finished rows depend on it.", error),
        SqliteBusy or SqliteLocked => new ResponseCacheException(Path,
            $"The response cache '{Path}' stayed locked by another process for over {BusyTimeout.TotalSeconds:0} s during a {operation}. Close the other program, or give this run a cache of its own.", error),
        _ => new ResponseCacheException(Path, $"The response cache '{Path}' failed during a {operation}: {error.Message}", error),
    };
}
