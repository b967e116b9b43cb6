using System.Text.Json;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Distil.Pipelines;

/// <summary>
/// The durable state of a pipeline's runs: for every step, the output rows of every input row it
/// finished, in one SQLite file under the run directory. A step's rows are kept while its
/// signature (its settings and everything upstream) stays the same, so a rerun replays them
/// instead of recomputing. Writes go through one background writer in short transactions, so a
/// finished row is on disk as soon as the writer gets to it (what queues up meanwhile goes in one
/// transaction), and survives the process being killed.
/// A commit that fails (a full disk, an I/O error) is tried again with backoff while the finished
/// rows wait in memory and <see cref="Gate"/> holds back new LLM calls; the run goes on with
/// nothing lost once the store can be written again.
/// </summary>
internal sealed class RunStore : IAsyncDisposable
{
    public const string FileName = "distil-run.db";
    private const int SchemaVersion = 1;
    private static readonly TimeSpan FirstCommitRetry = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan LastCommitRetry = TimeSpan.FromSeconds(30);

    // How long the writer lets rows gather before a transaction, unless this many are waiting already.
    private static readonly TimeSpan GroupCommitWait = TimeSpan.FromMilliseconds(2);
    private const int GroupCommitRows = 64;

    private readonly string _connectionString;
    private readonly SqliteConnection _reader;
    private readonly SqliteCommand _lookup;
    private readonly Channel<Commit> _commits = Channel.CreateBounded<Commit>(new BoundedChannelOptions(4096) { SingleReader = true });
    private readonly Task _writer;
    private readonly object _readLock = new();
    private readonly ILogger _logger;
    private readonly RunDirectoryLock? _lock;
    private CancellationToken _abandon;

    private sealed record Commit(string Step, RowKey InputKey, long Sequence, string Outputs, int FailedGenerations, TaskCompletionSource? Committed, RowCharges? Charges);

    private readonly List<Commit> _burst = [];

    private RunStore(string path, string connectionString, ILogger logger, RunDirectoryLock? directoryLock)
    {
        Path = path;
        _logger = logger;
        _lock = directoryLock;
        _connectionString = connectionString;
        _reader = Connect(connectionString);
        _lookup = _reader.CreateCommand();
        _lookup.CommandText = "SELECT outputs FROM rows WHERE step = $step AND input_key = $key";
        _lookup.Parameters.Add("$step", SqliteType.Text);
        _lookup.Parameters.Add("$key", SqliteType.Text);
        _writer = Task.Run(WriteLoopAsync);
    }

    /// <summary>The store file's full path.</summary>
    public string Path { get; }

    /// <summary>Closed while committed rows cannot be written: online task steps send no new call until it opens.</summary>
    public CallGate Gate { get; } = new();

    /// <summary>
    /// Told of each burst's charges before the burst is committed (the run log); set before the
    /// first row is saved. Its mark is committed with the rows.
    /// </summary>
    public ICommitJournal? Journal { get; set; }

    /// <summary>
    /// Gives up retrying a failed commit once <paramref name="cancellation"/> is cancelled (the run
    /// is stopped at once): the rows waiting in memory are then lost, and the error says how many.
    /// </summary>
    public void AbandonRetriesOn(CancellationToken cancellation) => _abandon = cancellation;

    /// <summary>
    /// Opens (or creates) the store of the run directory <paramref name="runDirectory"/>, first
    /// taking the directory's lock so that no other process runs on it meanwhile.
    /// </summary>
    /// <exception cref="PipelineException">Another process runs on the directory; or the file is not a Distil run store, or is damaged.</exception>
    public static RunStore Open(string runDirectory, ILogger? logger = null)
    {
        var directoryLock = RunDirectoryLock.Acquire(runDirectory);
        try
        {
            return Open(runDirectory, logger ?? NullLogger.Instance, directoryLock);
        }
        catch
        {
            directoryLock.Dispose();
            throw;
        }
    }

    private static RunStore Open(string runDirectory, ILogger logger, RunDirectoryLock directoryLock)
    {
        var path = System.IO.Path.GetFullPath(System.IO.Path.Combine(runDirectory, FileName));
        var connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = path,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Pooling = false,
            DefaultTimeout = 30,
        }.ToString();
        try
        {
            using var connection = Connect(connectionString);
            Execute(connection, """
                CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
                CREATE TABLE IF NOT EXISTS steps (step TEXT PRIMARY KEY, signature TEXT NOT NULL, kind TEXT, settings TEXT, parents TEXT);
                CREATE TABLE IF NOT EXISTS rows (
                    step TEXT NOT NULL, input_key TEXT NOT NULL, seq INTEGER NOT NULL, outputs TEXT NOT NULL, failed INTEGER NOT NULL DEFAULT 0,
                    PRIMARY KEY (step, input_key)) WITHOUT ROWID;
                CREATE INDEX IF NOT EXISTS rows_by_seq ON rows (step, seq);
                CREATE TABLE IF NOT EXISTS batches (
                    step TEXT NOT NULL, batch_id TEXT NOT NULL, custom_ids TEXT NOT NULL, status TEXT NOT NULL, submitted INTEGER NOT NULL,
                    PRIMARY KEY (step, batch_id));
                CREATE TABLE IF NOT EXISTS batch_results (
                    step TEXT NOT NULL, custom_id TEXT NOT NULL, result TEXT NOT NULL,
                    PRIMARY KEY (step, custom_id)) WITHOUT ROWID;
                """);
            using var version = connection.CreateCommand();
            version.CommandText = "INSERT OR IGNORE INTO meta (key, value) VALUES ('schema', $v); SELECT value FROM meta WHERE key = 'schema';";
            version.Parameters.AddWithValue("$v", SchemaVersion.ToString(System.Globalization.CultureInfo.InvariantCulture));
            var stored = (string?)version.ExecuteScalar();
            if (stored != SchemaVersion.ToString(System.Globalization.CultureInfo.InvariantCulture))
            {
                throw new PipelineException($"The run store '{path}' was written by another version of Distil (schema {stored}); delete the run directory or choose another.");
            }
            AddFailedColumn(connection);
            AddSignatureParts(connection);
        }
        catch (SqliteException error)
        {
            throw new PipelineException($"The run store '{path}' cannot be used ({error.Message}); delete the run directory or choose another.", error);
        }
        return new RunStore(path, connectionString, logger, directoryLock);
    }

    // A store written before failed calls were counted gets the column, filled from the rows'
    // metadata: a task's failed call left 'error_<task>' there (a task step is named after its
    // task), so the failed rows of a run from before are retried too.
    private static void AddFailedColumn(SqliteConnection connection)
    {
        using var columns = connection.CreateCommand();
        columns.CommandText = "SELECT COUNT(*) FROM pragma_table_info('rows') WHERE name = 'failed'";
        if ((long)columns.ExecuteScalar()! > 0) return;
        using var transaction = connection.BeginTransaction();
        using var add = connection.CreateCommand();
        add.Transaction = transaction;
        add.CommandText = """
            ALTER TABLE rows ADD COLUMN failed INTEGER NOT NULL DEFAULT 0;
            UPDATE rows SET failed = (
                SELECT COUNT(*) FROM json_each(rows.outputs) AS output, json_tree(output.value, '$[1]') AS node
                WHERE node.key = 'error_' || rows.step AND node.type <> 'null')
            WHERE instr(outputs, '"error_' || step || '"') > 0;
            """;
        add.ExecuteNonQuery();
        transaction.Commit();
    }

    // A store written before the signature's parts were kept gets their columns, empty: its steps
    // then recompute (when they do) for a reason it cannot tell, and keep the parts from then on.
    private static void AddSignatureParts(SqliteConnection connection)
    {
        if (HasColumn(connection, "steps", "settings")) return;
        Execute(connection, "ALTER TABLE steps ADD COLUMN kind TEXT; ALTER TABLE steps ADD COLUMN settings TEXT; ALTER TABLE steps ADD COLUMN parents TEXT;");
    }

    private static bool HasColumn(SqliteConnection connection, string table, string column)
    {
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT COUNT(*) FROM pragma_table_info($table) WHERE name = $column";
        command.Parameters.AddWithValue("$table", table);
        command.Parameters.AddWithValue("$column", column);
        return (long)command.ExecuteScalar()! > 0;
    }

    /// <summary>
    /// Every step the store knows, by name: the parts of the signature its rows were made under
    /// (none for a store from before they were kept) and how many input rows it stored.
    /// </summary>
    public IReadOnlyDictionary<string, SignatureChange.Stored> StoredSteps()
    {
        using var connection = Connect(_connectionString);
        return ReadSteps(connection);
    }

    /// <summary>
    /// <see cref="StoredSteps()"/> of a store opened read-only (<see cref="ReadOnlyDatabase"/>),
    /// without the directory's lock, so that nothing in the directory is created or changed (a dry run).
    /// </summary>
    public static IReadOnlyDictionary<string, SignatureChange.Stored> StoredSteps(SqliteConnection readOnly) => ReadSteps(readOnly);

    /// <summary>
    /// The input rows of <paramref name="step"/> in a store opened read-only that a run replays:
    /// those stored with no failed call (a run asks the others again, unless told to keep them).
    /// </summary>
    public static IReadOnlySet<string> ReplayedKeys(SqliteConnection readOnly, string step)
    {
        using var command = readOnly.CreateCommand();
        command.CommandText = HasColumn(readOnly, "rows", "failed")
            ? "SELECT input_key FROM rows WHERE step = $step AND failed = 0"
            : "SELECT input_key FROM rows WHERE step = $step AND instr(outputs, '\"error_' || step || '\"') = 0";
        command.Parameters.AddWithValue("$step", step);
        using var reader = command.ExecuteReader();
        var keys = new HashSet<string>(StringComparer.Ordinal);
        while (reader.Read()) keys.Add(reader.GetString(0));
        return keys;
    }

    private static Dictionary<string, SignatureChange.Stored> ReadSteps(SqliteConnection connection)
    {
        var steps = new Dictionary<string, SignatureChange.Stored>(StringComparer.Ordinal);
        if (!HasColumn(connection, "steps", "signature")) return steps;
        var parts = HasColumn(connection, "steps", "settings") ? "kind, settings, parents" : "NULL, NULL, NULL";
        using var command = connection.CreateCommand();
        command.CommandText = $"SELECT step, signature, {parts}, (SELECT COUNT(*) FROM rows WHERE rows.step = steps.step) FROM steps";
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            var name = reader.GetString(0);
            var signature = new StepSignature(name, reader.IsDBNull(2) ? null : reader.GetString(2), reader.IsDBNull(3) ? null : reader.GetString(3),
                reader.IsDBNull(4) ? null : DecodeParents(reader.GetString(4)), reader.GetString(1));
            steps[name] = new SignatureChange.Stored(signature, reader.GetInt64(5));
        }
        return steps;
    }

    /// <summary>
    /// Makes the stored rows of <paramref name="signature"/>'s step those of that signature: rows
    /// from a step whose settings or upstream changed are dropped. Keeps the signature's parts, so a
    /// later run can say what changed. Returns how many rows remain.
    /// </summary>
    /// <param name="signature">The step's signature in this run, with its parts.</param>
    /// <param name="forgottenBatches">Batches still running on the service that a changed signature makes this run forget.</param>
    public long Prepare(StepSignature signature, out IReadOnlyList<string> forgottenBatches)
    {
        var step = signature.Step;
        forgottenBatches = [];
        using var connection = Connect(_connectionString);
        using var transaction = connection.BeginTransaction();
        using var read = connection.CreateCommand();
        read.CommandText = "SELECT signature FROM steps WHERE step = $step";
        read.Parameters.AddWithValue("$step", step);
        if ((string?)read.ExecuteScalar() != signature.Hash)
        {
            using var pending = connection.CreateCommand();
            pending.CommandText = "SELECT batch_id FROM batches WHERE step = $step AND status NOT IN ('completed', 'failed', 'expired', 'cancelled')";
            pending.Parameters.AddWithValue("$step", step);
            using (var reader = pending.ExecuteReader())
            {
                var ids = new List<string>();
                while (reader.Read()) ids.Add(reader.GetString(0));
                forgottenBatches = ids;
            }
            using var reset = connection.CreateCommand();
            reset.CommandText = """
                DELETE FROM rows WHERE step = $step; DELETE FROM batches WHERE step = $step; DELETE FROM batch_results WHERE step = $step;
                INSERT OR REPLACE INTO steps (step, signature, kind, settings, parents) VALUES ($step, $signature, $kind, $settings, $parents);
                """;
            AddParts(reset);
            reset.ExecuteNonQuery();
        }
        else
        {
            // Same signature: a store from before the parts were kept gets them now.
            using var fill = connection.CreateCommand();
            fill.CommandText = "UPDATE steps SET kind = $kind, settings = $settings, parents = $parents WHERE step = $step AND settings IS NULL";
            AddParts(fill);
            fill.ExecuteNonQuery();
        }
        using var count = connection.CreateCommand();
        count.CommandText = "SELECT COUNT(*) FROM rows WHERE step = $step";
        count.Parameters.AddWithValue("$step", step);
        var remaining = (long)count.ExecuteScalar()!;
        transaction.Commit();
        return remaining;

        void AddParts(SqliteCommand command)
        {
            command.Parameters.AddWithValue("$step", step);
            command.Parameters.AddWithValue("$signature", signature.Hash);
            command.Parameters.AddWithValue("$kind", (object?)signature.Kind ?? DBNull.Value);
            command.Parameters.AddWithValue("$settings", (object?)signature.Settings ?? DBNull.Value);
            command.Parameters.AddWithValue("$parents", signature.Parents is { } parents ? EncodeParents(parents) : DBNull.Value);
        }
    }

    private static string EncodeParents(IReadOnlyList<ParentSignature> parents) =>
        new JsonArray([.. parents.Select(p => (JsonNode)new JsonObject { ["step"] = p.Step, ["signature"] = p.Signature })]).ToJsonString();

    private static List<ParentSignature> DecodeParents(string json) =>
        [.. JsonNode.Parse(json)!.AsArray().Select(p => new ParentSignature((string)p!["step"]!, (string)p["signature"]!))];

    /// <summary>The outputs <paramref name="step"/> stored for an input row, or null when it has not finished it.</summary>
    public IReadOnlyList<KeyedRow>? Find(string step, RowKey inputKey)
    {
        string? outputs;
        lock (_readLock)
        {
            _lookup.Parameters["$step"].Value = step;
            _lookup.Parameters["$key"].Value = inputKey.Text;
            outputs = (string?)_lookup.ExecuteScalar();
        }
        return outputs is null ? null : Decode(outputs);
    }

    /// <summary>
    /// The input rows of <paramref name="step"/> stored with LLM calls that failed for good (after
    /// their retries): the rows a rerun asks again unless told to keep them. Rows whose calls were
    /// answered, even with nothing readable, are not among them: those answers are paid for.
    /// </summary>
    public IReadOnlyList<string> FailedRows(string step)
    {
        using var connection = Connect(_connectionString);
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT input_key FROM rows WHERE step = $step AND failed > 0";
        command.Parameters.AddWithValue("$step", step);
        using var reader = command.ExecuteReader();
        var keys = new List<string>();
        while (reader.Read()) keys.Add(reader.GetString(0));
        return keys;
    }

    /// <summary>
    /// Stores the outputs of one input row. Returns once the row is queued for the writer, or, with
    /// <paramref name="untilCommitted"/>, once it is committed (what an LLM answer waits for, so that
    /// a row is never both paid for and lost to a crash while its call counts as finished).
    /// <paramref name="charges"/> (what the row cost) go to the <see cref="Journal"/> with the row's burst.
    /// <paramref name="failedGenerations"/> counts the row's generations whose LLM call failed for
    /// good: a rerun asks such a row again.
    /// </summary>
    public async ValueTask SaveAsync(string step, RowKey inputKey, long sequence, IReadOnlyList<KeyedRow> outputs, CancellationToken cancellationToken,
        bool untilCommitted = false, RowCharges? charges = null, int failedGenerations = 0)
    {
        try
        {
            var committed = untilCommitted ? new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously) : null;
            await _commits.Writer.WriteAsync(new Commit(step, inputKey, sequence, Encode(outputs), failedGenerations, committed, charges), cancellationToken).ConfigureAwait(false);
            if (committed is not null) await committed.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (ChannelClosedException closed) when (closed.InnerException is PipelineException failure)
        {
            throw failure;
        }
    }

    /// <summary>The rows of a step, in order, read from the file (constant memory).</summary>
    public static async IAsyncEnumerable<JsonObject> ReadStepAsync(
        string path, string step, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var connectionString = new SqliteConnectionStringBuilder { DataSource = path, Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString();
        await using var connection = Connect(connectionString);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT outputs FROM rows WHERE step = $step ORDER BY seq";
        command.Parameters.AddWithValue("$step", step);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            foreach (var row in Decode(reader.GetString(0))) yield return row.Row;
        }
    }

    /// <summary>The rows a step stored whose keys are among <paramref name="keys"/>, in order.</summary>
    public static async IAsyncEnumerable<JsonObject> ReadStepAsync(
        string path, string step, IReadOnlySet<RowKey> keys, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var connectionString = new SqliteConnectionStringBuilder { DataSource = path, Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString();
        await using var connection = Connect(connectionString);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT outputs FROM rows WHERE step = $step ORDER BY seq";
        command.Parameters.AddWithValue("$step", step);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            foreach (var row in Decode(reader.GetString(0)))
            {
                if (keys.Contains(row.Key)) yield return row.Row;
            }
        }
    }

    /// <summary>How many output rows a step stored.</summary>
    public static long CountStep(string path, string step)
    {
        var connectionString = new SqliteConnectionStringBuilder { DataSource = path, Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString();
        using var connection = Connect(connectionString);
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT COALESCE(SUM(json_array_length(outputs)), 0) FROM rows WHERE step = $step";
        command.Parameters.AddWithValue("$step", step);
        return (long)command.ExecuteScalar()!;
    }

    /// <summary>The marks committed with rows (<see cref="ICommitJournal"/>) whose key starts with <paramref name="prefix"/>, by key; none when the file does not exist.</summary>
    public static IReadOnlyDictionary<string, string> ReadMarks(string path, string prefix)
    {
        var marks = new Dictionary<string, string>(StringComparer.Ordinal);
        if (!File.Exists(path)) return marks;
        var connectionString = new SqliteConnectionStringBuilder { DataSource = path, Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString();
        using var connection = Connect(connectionString);
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT key, value FROM meta WHERE substr(key, 1, length($prefix)) = $prefix";
        command.Parameters.AddWithValue("$prefix", prefix);
        using var reader = command.ExecuteReader();
        while (reader.Read()) marks[reader.GetString(0)] = reader.GetString(1);
        return marks;
    }

    /// <summary>A batch a step submitted, and where it is.</summary>
    public sealed record StoredBatch(string Id, IReadOnlyList<string> CustomIds, string Status);

    /// <summary>Records a submitted batch at once: a crash right after must not lose its id.</summary>
    public void SaveBatch(string step, SubmittedBatch batch)
    {
        using var connection = Connect(_connectionString);
        using var command = connection.CreateCommand();
        command.CommandText = "INSERT OR REPLACE INTO batches (step, batch_id, custom_ids, status, submitted) VALUES ($step, $id, $ids, 'submitted', $at)";
        command.Parameters.AddWithValue("$step", step);
        command.Parameters.AddWithValue("$id", batch.Id);
        command.Parameters.AddWithValue("$ids", JsonSerializer.Serialize(batch.CustomIds.ToList(), DistilJson.Default.ListString));
        command.Parameters.AddWithValue("$at", DateTimeOffset.UtcNow.ToUnixTimeSeconds());
        command.ExecuteNonQuery();
    }

    /// <summary>The batches of a step, oldest first.</summary>
    public IReadOnlyList<StoredBatch> Batches(string step)
    {
        using var connection = Connect(_connectionString);
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT batch_id, custom_ids, status FROM batches WHERE step = $step ORDER BY submitted, batch_id";
        command.Parameters.AddWithValue("$step", step);
        using var reader = command.ExecuteReader();
        var batches = new List<StoredBatch>();
        while (reader.Read()) batches.Add(new StoredBatch(reader.GetString(0), JsonSerializer.Deserialize(reader.GetString(1), DistilJson.Default.ListString)!, reader.GetString(2)));
        return batches;
    }

    /// <summary>Records a batch's final status together with its results, in one transaction.</summary>
    public void FinishBatch(string step, string batchId, string status, IEnumerable<OfflineBatchResult> results)
    {
        using var connection = Connect(_connectionString);
        using var transaction = connection.BeginTransaction();
        using var save = connection.CreateCommand();
        // A success is never replaced by a later failure of the same request.
        save.CommandText = """
            INSERT INTO batch_results (step, custom_id, result) VALUES ($step, $id, $result)
            ON CONFLICT (step, custom_id) DO UPDATE SET result = excluded.result
            WHERE json_extract(batch_results.result, '$.Error') IS NOT NULL
            """;
        var stepParameter = save.Parameters.AddWithValue("$step", step);
        var id = save.Parameters.Add("$id", SqliteType.Text);
        var result = save.Parameters.Add("$result", SqliteType.Text);
        foreach (var item in results)
        {
            id.Value = item.CustomId;
            result.Value = JsonSerializer.Serialize(item, DistilJson.Default.OfflineBatchResult);
            save.ExecuteNonQuery();
        }
        using var update = connection.CreateCommand();
        update.CommandText = "UPDATE batches SET status = $status WHERE step = $step AND batch_id = $id";
        update.Parameters.AddWithValue("$status", status);
        update.Parameters.AddWithValue("$step", step);
        update.Parameters.AddWithValue("$id", batchId);
        update.ExecuteNonQuery();
        transaction.Commit();
    }

    /// <summary>The batch results of a step, by custom id (answers, and the latest failure of unanswered ones).</summary>
    public Dictionary<string, OfflineBatchResult> BatchResults(string step)
    {
        using var connection = Connect(_connectionString);
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT custom_id, result FROM batch_results WHERE step = $step";
        command.Parameters.AddWithValue("$step", step);
        using var reader = command.ExecuteReader();
        var results = new Dictionary<string, OfflineBatchResult>(StringComparer.Ordinal);
        while (reader.Read()) results[reader.GetString(0)] = JsonSerializer.Deserialize(reader.GetString(1), DistilJson.Default.OfflineBatchResult)!;
        return results;
    }

    /// <summary>Writes what is queued and stops the writer.</summary>
    public async ValueTask DisposeAsync()
    {
        _commits.Writer.TryComplete();
        try
        {
            await _writer.ConfigureAwait(false);
        }
        finally
        {
            _lookup.Dispose();
            _reader.Dispose();
            _lock?.Dispose();
        }
    }

    private async Task WriteLoopAsync()
    {
        try
        {
            await WriteAllAsync().ConfigureAwait(false);
        }
        catch (Exception error)
        {
            // Writers must not wait on a channel no one reads, nor count rows as kept that are not.
            var failure = error as PipelineException
                ?? new PipelineException($"The run store '{Path}' cannot be written ({error.Message}); rows finished since the last commit are not kept.", error);
            _commits.Writer.TryComplete(failure);
            foreach (var commit in _burst) commit.Committed?.TrySetException(failure);
            while (_commits.Reader.TryRead(out var queued)) queued.Committed?.TrySetException(failure);
            throw failure;
        }
    }

    private async Task WriteAllAsync()
    {
        await using var connection = Connect(_connectionString);
        await using var insert = connection.CreateCommand();
        insert.CommandText = "INSERT OR REPLACE INTO rows (step, input_key, seq, outputs, failed) VALUES ($step, $key, $seq, $outputs, $failed)";
        var step = insert.Parameters.Add("$step", SqliteType.Text);
        var key = insert.Parameters.Add("$key", SqliteType.Text);
        var seq = insert.Parameters.Add("$seq", SqliteType.Integer);
        var outputs = insert.Parameters.Add("$outputs", SqliteType.Text);
        var failed = insert.Parameters.Add("$failed", SqliteType.Integer);
        await using var mark = connection.CreateCommand();
        mark.CommandText = "INSERT OR REPLACE INTO meta (key, value) VALUES ($key, $value)";
        var markKey = mark.Parameters.Add("$key", SqliteType.Text);
        var markValue = mark.Parameters.Add("$value", SqliteType.Text);
        var reader = _commits.Reader;
        var burst = _burst;
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            // Group commit: one transaction per burst, of what queued up while the last one was
            // written and in a short while after the first row came. Rows finishing at a high rate
            // then share a transaction (and a run-log line) instead of paying one each; no call
            // waits for it (see TaskNode.RowsInProgress), only the row's place in its step's window.
            if (reader.Count < GroupCommitRows) await Task.Delay(GroupCommitWait).ConfigureAwait(false);
            while (burst.Count < 4096 && reader.TryRead(out var commit)) burst.Add(commit);
            // The journal hears of the burst first: a kill before the commit leaves a journal entry
            // without its mark, which a reader leaves out, rather than rows whose cost nobody wrote.
            var charges = burst.Where(c => c.Charges is not null).Select(c => c.Charges!).ToList();
            var journalMark = charges.Count > 0 ? Journal?.Committing(charges) : null;
            await CommitAsync(burst, journalMark).ConfigureAwait(false);
            foreach (var commit in burst) commit.Committed?.TrySetResult();
            burst.Clear();
        }

        // Commits a burst, retrying with backoff while it fails: the rows are paid for, so they wait
        // in memory (and no new call is sent) until the store can take them or the run is stopped.
        async Task CommitAsync(List<Commit> rows, CommitMark? journalMark)
        {
            var wait = FirstCommitRetry;
            for (var failures = 0; ; failures++)
            {
                try
                {
                    using (var transaction = connection.BeginTransaction())
                    {
                        insert.Transaction = transaction;
                        foreach (var commit in rows)
                        {
                            step.Value = commit.Step;
                            key.Value = commit.InputKey.Text;
                            seq.Value = commit.Sequence;
                            outputs.Value = commit.Outputs;
                            failed.Value = commit.FailedGenerations;
                            insert.ExecuteNonQuery();
                        }
                        if (journalMark is { } marked)
                        {
                            mark.Transaction = transaction;
                            markKey.Value = marked.Key;
                            markValue.Value = marked.Value;
                            mark.ExecuteNonQuery();
                        }
                        transaction.Commit();
                    }
                    if (failures > 0)
                    {
                        Gate.Open();
                        _logger.LogInformation("The run store '{Path}' can be written again: {Rows} waiting rows are committed and the run goes on.", Path, rows.Count);
                    }
                    return;
                }
                catch (Exception error) when (error is SqliteException or IOException)
                {
                    Gate.Close();
                    var waiting = rows.Count + reader.Count;
                    _logger.LogWarning(
                        "The run store '{Path}' cannot be written ({Error}). No new LLM calls are sent; {Rows} finished rows wait in memory and the commit is tried again in {Wait:0} s. " +
                        "Free space or fix the cause and the run goes on with nothing lost; stopping it now (Ctrl+C) loses those {Rows} rows.",
                        Path, error.Message, waiting, wait.TotalSeconds, waiting);
                    try
                    {
                        await Task.Delay(wait, _abandon).ConfigureAwait(false);
                    }
                    catch (OperationCanceledException)
                    {
                        throw new PipelineException(
                            $"The run store '{Path}' cannot be written ({error.Message}); the run was stopped with {waiting} finished rows not kept. Free space or fix the cause, then run again.", error);
                    }
                    wait = TimeSpan.FromTicks(Math.Min(wait.Ticks * 2, LastCommitRetry.Ticks));
                }
            }
        }
    }

    // [[key, row], ...]: the key of every output row travels with it, so a replay continues the same keys.
    // Written straight from the rows (no copy of their trees): the text is the copy.
    private static string Encode(IReadOnlyList<KeyedRow> outputs)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { SkipValidation = true }))
        {
            writer.WriteStartArray();
            foreach (var output in outputs)
            {
                writer.WriteStartArray();
                writer.WriteStringValue(output.Key.Text);
                output.Row.WriteTo(writer);
                writer.WriteEndArray();
            }
            writer.WriteEndArray();
        }
        return System.Text.Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    internal static List<KeyedRow> Decode(string outputs)
    {
        var array = JsonNode.Parse(outputs)!.AsArray();
        var rows = new List<KeyedRow>(array.Count);
        foreach (var item in array)
        {
            var pair = item!.AsArray();
            var row = pair[1]!.AsObject();
            pair.RemoveAt(1); // detach the row from the parsed pair so it can join another tree
            rows.Add(new KeyedRow(new RowKey(pair[0]!.GetValue<string>()), row));
        }
        return rows;
    }

    private static SqliteConnection Connect(string connectionString)
    {
        var connection = new SqliteConnection(connectionString);
        connection.Open();
        Execute(connection, "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;");
        return connection;
    }

    private static void Execute(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }
}
