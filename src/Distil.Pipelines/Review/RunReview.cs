using System.Globalization;
using System.Text.Json.Nodes;
using Microsoft.Data.Sqlite;

namespace Distil.Pipelines;

/// <summary>
/// The human labels of a run directory's rows (accept or reject, corrected columns, a note), kept in
/// <c>&lt;run-dir&gt;/review.db</c>: a SQLite file of its own in WAL mode, written as each label is made, so labels survive a
/// restart of the view and of the run. It is not the run store: a run may write its rows beside it, and never takes it
/// into account. Several instances (a view restarted while another is still open, in this process or another) may
/// have it open at once; each change is one transaction, and every read sees the others' labels.
/// </summary>
/// <example>
/// <code>
/// using var review = RunReview.Open("runs/qa");
/// review.SetVerdict("answer", "12.1", ReviewVerdict.Rejected);
/// review.Correct("answer", "12.0", "generation", "Paris is the capital of France.");
/// review.SetNote("answer", "12.0", "the model named Lyon");
/// await ReviewedRows.ExportAsync("runs/qa", "answer", "reviewed.parquet", ReviewKeep.NotRejected);
/// </code>
/// </example>
public sealed class RunReview : IDisposable
{
    /// <summary>The label file's name in a run directory.</summary>
    public const string FileName = "review.db";

    // 1: labels(step, row_key, verdict, corrections, note, updated_at).
    private const int SchemaVersion = 1;

    private const string Accepted = "accepted";
    private const string Rejected = "rejected";

    // One connection, one change at a time: a web view calls from many threads, and each change reads the label
    // before it writes it (a correction adds one column to the others).
    private readonly object _gate = new();
    private readonly SqliteConnection _connection;
    private readonly TimeProvider _time;
    private bool _disposed;

    private RunReview(string path, SqliteConnection connection, TimeProvider time)
    {
        Path = path;
        _connection = connection;
        _time = time;
    }

    /// <summary>The label file's full path.</summary>
    public string Path { get; }

    /// <summary>Opens the labels of <paramref name="runDirectory"/>, creating <c>review.db</c> (and the directory) when missing.</summary>
    /// <param name="runDirectory">The run directory.</param>
    /// <exception cref="PipelineException">The file is not a Distil label file, is damaged, or stays locked.</exception>
    public static RunReview Open(string runDirectory) => Open(runDirectory, TimeProvider.System);

    /// <summary>Opens the labels as <see cref="Open(string)"/> does, stamping changes with <paramref name="time"/>'s clock.</summary>
    /// <param name="runDirectory">The run directory.</param>
    /// <param name="time">The clock of <see cref="ReviewLabel.UpdatedAt"/>.</param>
    /// <exception cref="PipelineException">The file is not a Distil label file, is damaged, or stays locked.</exception>
    public static RunReview Open(string runDirectory, TimeProvider time)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(runDirectory);
        ArgumentNullException.ThrowIfNull(time);
        var path = System.IO.Path.GetFullPath(System.IO.Path.Combine(runDirectory, FileName));
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(path)!);
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder
        {
            DataSource = path,
            Mode = SqliteOpenMode.ReadWriteCreate,
            // Unpooled: once disposed, nothing keeps the file open (a test, or the user, may delete the run directory).
            Pooling = false,
            DefaultTimeout = 30,
        }.ToString());
        try
        {
            connection.Open();
            Create(connection, path);
        }
        catch (SqliteException error)
        {
            connection.Dispose();
            throw new PipelineException($"The review labels '{path}' cannot be used ({error.Message}); move the file away to start the labels afresh.", error);
        }
        catch
        {
            connection.Dispose();
            throw;
        }
        return new RunReview(path, connection, time);
    }

    /// <summary>
    /// The labels of step <paramref name="step"/> in <paramref name="runDirectory"/>, by row key, read without creating or
    /// changing anything; empty when the directory has no label file.
    /// </summary>
    /// <exception cref="PipelineException">The file is not a Distil label file or is damaged.</exception>
    public static IReadOnlyDictionary<string, ReviewLabel> Read(string runDirectory, string step)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(runDirectory);
        ArgumentException.ThrowIfNullOrWhiteSpace(step);
        var path = System.IO.Path.GetFullPath(System.IO.Path.Combine(runDirectory, FileName));
        if (!File.Exists(path)) return new Dictionary<string, ReviewLabel>(StringComparer.Ordinal);
        try
        {
            using var connection = new SqliteConnection(new SqliteConnectionStringBuilder
            {
                DataSource = path,
                Mode = SqliteOpenMode.ReadOnly,
                Pooling = false,
                DefaultTimeout = 30,
            }.ToString());
            connection.Open();
            // A file another process has only just created may not have its table yet: no labels so far.
            if (!HasLabelTable(connection)) return new Dictionary<string, ReviewLabel>(StringComparer.Ordinal);
            CheckVersion(connection, path);
            return ReadStep(connection, step);
        }
        catch (SqliteException error)
        {
            throw new PipelineException($"The review labels '{path}' cannot be read ({error.Message}).", error);
        }
    }

    /// <summary>Sets the verdict of a row; null clears it.</summary>
    /// <returns>The row's label as it now is.</returns>
    public ReviewLabel SetVerdict(string step, string rowKey, ReviewVerdict? verdict)
    {
        CheckRow(step, rowKey);
        if (verdict is not (null or ReviewVerdict.Accepted or ReviewVerdict.Rejected))
            throw new ArgumentOutOfRangeException(nameof(verdict), verdict, "A verdict is Accepted, Rejected or null.");
        return Change(step, rowKey, label => label with { Verdict = verdict });
    }

    /// <summary>
    /// Sets the corrected value of one column of a row (any JSON; null corrects it to null), keeping the row's other
    /// corrections. The committed row itself is never changed: <see cref="ReviewedRows"/> applies the correction.
    /// </summary>
    /// <returns>The row's label as it now is.</returns>
    public ReviewLabel Correct(string step, string rowKey, string column, JsonNode? value)
    {
        CheckRow(step, rowKey);
        CheckColumn(column);
        // A copy: the caller's node may belong to another tree, and must not change the stored label later.
        var copy = value?.DeepClone();
        return Change(step, rowKey, label =>
        {
            var corrections = label.Corrections ?? [];
            corrections[column] = copy;
            return label with { Corrections = corrections };
        });
    }

    /// <summary>Removes the correction of one column of a row (the committed value stands again).</summary>
    /// <returns>The row's label as it now is.</returns>
    public ReviewLabel ClearCorrection(string step, string rowKey, string column)
    {
        CheckRow(step, rowKey);
        CheckColumn(column);
        return Change(step, rowKey, label =>
        {
            if (label.Corrections is not { } corrections) return label;
            corrections.Remove(column);
            return label with { Corrections = corrections.Count == 0 ? null : corrections };
        });
    }

    /// <summary>Sets the note of a row; null or empty clears it.</summary>
    /// <returns>The row's label as it now is.</returns>
    public ReviewLabel SetNote(string step, string rowKey, string? note)
    {
        CheckRow(step, rowKey);
        return Change(step, rowKey, label => label with { Note = string.IsNullOrEmpty(note) ? null : note });
    }

    /// <summary>The label of a row, or null when it has none.</summary>
    public ReviewLabel? Get(string step, string rowKey)
    {
        CheckRow(step, rowKey);
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            return Run("read", () => Find(_connection, null, step, rowKey));
        }
    }

    /// <summary>Every label of step <paramref name="step"/>, by row key (the labels other instances made included).</summary>
    public IReadOnlyDictionary<string, ReviewLabel> ReadStep(string step)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(step);
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            return Run("read", () => ReadStep(_connection, step));
        }
    }

    /// <summary>Closes the file; every label is already in it.</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            if (_disposed) return;
            _disposed = true;
            _connection.Dispose();
        }
    }

    // One change: read the label, change it, write it back (or delete it once it says nothing), in one transaction that
    // takes the write lock first (BEGIN IMMEDIATE), so another instance's change to the same row is never lost.
    private ReviewLabel Change(string step, string rowKey, Func<ReviewLabel, ReviewLabel> change)
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            return Run("save", () =>
            {
                using var transaction = _connection.BeginTransaction(deferred: false);
                var current = Find(_connection, transaction, step, rowKey) ?? new ReviewLabel(step, rowKey, null, null, null, default);
                var changed = change(current) with { UpdatedAt = Now() };
                Write(transaction, changed);
                transaction.Commit();
                return changed;
            });
        }
    }

    private void Write(SqliteTransaction transaction, ReviewLabel label)
    {
        using var command = _connection.CreateCommand();
        command.Transaction = transaction;
        command.Parameters.AddWithValue("$step", label.Step);
        command.Parameters.AddWithValue("$key", label.RowKey);
        if (label.IsEmpty)
        {
            // A label cleared of everything is no label: the row counts as not reviewed again.
            command.CommandText = "DELETE FROM labels WHERE step = $step AND row_key = $key";
        }
        else
        {
            command.CommandText = """
                INSERT INTO labels (step, row_key, verdict, corrections, note, updated_at) VALUES ($step, $key, $verdict, $corrections, $note, $at)
                ON CONFLICT (step, row_key) DO UPDATE SET verdict = excluded.verdict, corrections = excluded.corrections,
                    note = excluded.note, updated_at = excluded.updated_at
                """;
            command.Parameters.AddWithValue("$verdict", (object?)VerdictText(label.Verdict) ?? DBNull.Value);
            command.Parameters.AddWithValue("$corrections", (object?)label.Corrections?.ToJsonString() ?? DBNull.Value);
            command.Parameters.AddWithValue("$note", (object?)label.Note ?? DBNull.Value);
            command.Parameters.AddWithValue("$at", label.UpdatedAt.ToString("O", CultureInfo.InvariantCulture));
        }
        command.ExecuteNonQuery();
    }

    private DateTimeOffset Now() => _time.GetUtcNow();

    private T Run<T>(string operation, Func<T> work)
    {
        try
        {
            return work();
        }
        catch (SqliteException error)
        {
            throw new PipelineException($"Could not {operation} a review label in '{Path}' ({error.Message}).", error);
        }
    }

    private static void Create(SqliteConnection connection, string path)
    {
        using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA journal_mode = WAL;";
        command.ExecuteNonQuery();
        var version = UserVersion(connection);
        if (version == SchemaVersion) return;
        command.CommandText = "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name <> 'labels'";
        if (version != 0 || Convert.ToInt64(command.ExecuteScalar()!, CultureInfo.InvariantCulture) > 0)
            throw new PipelineException($"The file '{path}' is not a Distil review label file of this version; move it away to start the labels afresh.");
        using var transaction = connection.BeginTransaction(deferred: false);
        command.Transaction = transaction;
        command.CommandText = $"""
            CREATE TABLE IF NOT EXISTS labels (
                step TEXT NOT NULL, row_key TEXT NOT NULL, verdict TEXT, corrections TEXT, note TEXT, updated_at TEXT NOT NULL,
                PRIMARY KEY (step, row_key)) WITHOUT ROWID;
            PRAGMA user_version = {SchemaVersion};
            """;
        command.ExecuteNonQuery();
        transaction.Commit();
    }

    private static void CheckVersion(SqliteConnection connection, string path)
    {
        if (UserVersion(connection) != SchemaVersion)
            throw new PipelineException($"The file '{path}' is not a Distil review label file of this version.");
    }

    private static long UserVersion(SqliteConnection connection)
    {
        using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA user_version;";
        return Convert.ToInt64(command.ExecuteScalar()!, CultureInfo.InvariantCulture);
    }

    private static bool HasLabelTable(SqliteConnection connection)
    {
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'labels'";
        return Convert.ToInt64(command.ExecuteScalar()!, CultureInfo.InvariantCulture) > 0;
    }

    private static ReviewLabel? Find(SqliteConnection connection, SqliteTransaction? transaction, string step, string rowKey)
    {
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = "SELECT step, row_key, verdict, corrections, note, updated_at FROM labels WHERE step = $step AND row_key = $key";
        command.Parameters.AddWithValue("$step", step);
        command.Parameters.AddWithValue("$key", rowKey);
        using var reader = command.ExecuteReader();
        return reader.Read() ? ReadLabel(reader) : null;
    }

    private static Dictionary<string, ReviewLabel> ReadStep(SqliteConnection connection, string step)
    {
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT step, row_key, verdict, corrections, note, updated_at FROM labels WHERE step = $step";
        command.Parameters.AddWithValue("$step", step);
        using var reader = command.ExecuteReader();
        var labels = new Dictionary<string, ReviewLabel>(StringComparer.Ordinal);
        while (reader.Read())
        {
            var label = ReadLabel(reader);
            labels[label.RowKey] = label;
        }
        return labels;
    }

    private static ReviewLabel ReadLabel(SqliteDataReader reader) => new(
        reader.GetString(0),
        reader.GetString(1),
        reader.IsDBNull(2) ? null : ParseVerdict(reader.GetString(2)),
        reader.IsDBNull(3) ? null : JsonNode.Parse(reader.GetString(3))!.AsObject(),
        reader.IsDBNull(4) ? null : reader.GetString(4),
        DateTimeOffset.Parse(reader.GetString(5), CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind));

    /// <summary>The verdict as the file and the <c>review_status</c> column write it: <c>accepted</c>, <c>rejected</c>, or null.</summary>
    internal static string? VerdictText(ReviewVerdict? verdict) => verdict switch
    {
        ReviewVerdict.Accepted => Accepted,
        ReviewVerdict.Rejected => Rejected,
        _ => null,
    };

    private static ReviewVerdict? ParseVerdict(string text) => text switch
    {
        Accepted => ReviewVerdict.Accepted,
        Rejected => ReviewVerdict.Rejected,
        // A verdict this version does not know is no verdict, not a crash of the view.
        _ => null,
    };

    private static void CheckRow(string step, string rowKey)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(step);
        ArgumentException.ThrowIfNullOrWhiteSpace(rowKey);
    }

    private static void CheckColumn(string column)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(column);
        if (column.StartsWith(ReviewedRows.ColumnPrefix, StringComparison.Ordinal))
            throw new ArgumentException($"The column '{column}' is one the review adds ({ReviewedRows.StatusColumn}, {ReviewedRows.NoteColumn}, {ReviewedRows.CorrectedColumn}); correct an output column of the step instead.", nameof(column));
    }
}
