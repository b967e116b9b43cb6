using System.Runtime.CompilerServices;
using System.Text.Json.Nodes;
using Microsoft.Data.Sqlite;

namespace Distil.Pipelines;

/// <summary>
/// Reads a run directory (while its run goes on, or after): the runs its log records and the rows each step
/// committed. The seam for tools that show a run (the HTML report of Distil.Reporting, a live view): it only reads,
/// and never takes the directory's lock.
/// </summary>
public static class RunDirectoryReader
{
    /// <summary>The run log's file name in a run directory (one JSON line per run start, committed rows and run end).</summary>
    public const string LogFileName = RunLog.FileName;

    /// <summary>The run store's file name in a run directory (SQLite: every committed row of every step).</summary>
    public const string StoreFileName = RunStore.FileName;

    /// <summary>The <c>outcome</c> of a run that has no end line: killed, or still running.</summary>
    public const string UnfinishedOutcome = RunLog.Unfinished;

    /// <summary>
    /// Every run of the directory, oldest first, each as one object: its end line, or for a run without one (killed,
    /// or still running) its start line with the counts of its committed rows and the outcome
    /// <see cref="UnfinishedOutcome"/>. A damaged line (cut short by a kill) is skipped; no log, no runs.
    /// </summary>
    public static IReadOnlyList<JsonObject> ReadRuns(string runDirectory)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(runDirectory);
        return RunLog.Read(runDirectory);
    }

    /// <summary>Whether <paramref name="runDirectory"/> has a run store.</summary>
    public static bool HasStore(string runDirectory) => File.Exists(Path.Combine(runDirectory, StoreFileName));

    /// <summary>The rows step <paramref name="step"/> committed, in order, read with constant memory.</summary>
    /// <exception cref="FileNotFoundException">The directory has no run store.</exception>
    public static IAsyncEnumerable<JsonObject> ReadStepRowsAsync(string runDirectory, string step, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(runDirectory);
        ArgumentException.ThrowIfNullOrWhiteSpace(step);
        var store = Path.Combine(runDirectory, StoreFileName);
        if (!File.Exists(store)) throw new FileNotFoundException($"'{runDirectory}' has no run store ({StoreFileName}).", store);
        return RunStore.ReadStepAsync(store, step, cancellationToken);
    }

    /// <summary>
    /// The steps that have stored rows or a signature in the run store, in the order they were first stored: each with its
    /// kind (<c>task</c>, <c>load</c>, ...; null for a store from before kinds were kept), its parents and how many input
    /// rows it has committed. Empty when the directory has no run store yet.
    /// </summary>
    public static IReadOnlyList<CommittedStep> ReadSteps(string runDirectory)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(runDirectory);
        var store = Path.Combine(runDirectory, StoreFileName);
        if (!File.Exists(store)) return [];
        using var connection = OpenReadOnly(store);
        using var command = connection.CreateCommand();
        var hasParts = HasColumn(connection, "steps", "kind");
        command.CommandText = $"SELECT step, {(hasParts ? "kind, parents" : "NULL, NULL")}, (SELECT COUNT(*) FROM rows WHERE rows.step = steps.step) FROM steps ORDER BY rowid";
        using var reader = command.ExecuteReader();
        var steps = new List<CommittedStep>();
        while (reader.Read())
        {
            var parents = reader.IsDBNull(2)
                ? []
                : JsonNode.Parse(reader.GetString(2))!.AsArray().Select(p => p!["step"]!.GetValue<string>()).ToArray();
            steps.Add(new CommittedStep(reader.GetString(0), reader.IsDBNull(1) ? null : reader.GetString(1), parents, reader.GetInt64(3)));
        }
        return steps;
    }

    /// <summary>
    /// The rows step <paramref name="step"/> committed after commit <paramref name="afterSequence"/>, in commit order, each with
    /// its key and the sequence number of its commit: a reader that remembers the last sequence it saw reads only what is new
    /// (a live view polling a running run). Several rows share a sequence when one input made several (generations, a fan-out).
    /// </summary>
    /// <param name="runDirectory">The run directory.</param>
    /// <param name="step">The step's name.</param>
    /// <param name="afterSequence">Only commits after this one; -1 (the default) for all.</param>
    /// <param name="cancellationToken">Stops the reading.</param>
    /// <exception cref="FileNotFoundException">The directory has no run store.</exception>
    public static async IAsyncEnumerable<CommittedRow> ReadCommittedRowsAsync(
        string runDirectory, string step, long afterSequence = -1, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(runDirectory);
        ArgumentException.ThrowIfNullOrWhiteSpace(step);
        var store = Path.Combine(runDirectory, StoreFileName);
        if (!File.Exists(store)) throw new FileNotFoundException($"'{runDirectory}' has no run store ({StoreFileName}).", store);
        await using var connection = OpenReadOnly(store);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT seq, outputs FROM rows WHERE step = $step AND seq > $after ORDER BY seq";
        command.Parameters.AddWithValue("$step", step);
        command.Parameters.AddWithValue("$after", afterSequence);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            var sequence = reader.GetInt64(0);
            foreach (var row in RunStore.Decode(reader.GetString(1))) yield return new CommittedRow(row.Key.Text, sequence, row.Row);
        }
    }

    /// <summary>The sequence number of step <paramref name="step"/>'s last commit, or -1 when it has none (or there is no store).</summary>
    internal static long LastSequence(string runDirectory, string step)
    {
        var store = Path.Combine(runDirectory, StoreFileName);
        if (!File.Exists(store)) return -1;
        using var connection = OpenReadOnly(store);
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT COALESCE(MAX(seq), -1) FROM rows WHERE step = $step";
        command.Parameters.AddWithValue("$step", step);
        return (long)command.ExecuteScalar()!;
    }

    // Read-only and unpooled: a reader never creates, changes or keeps open anything in a directory a run may be writing.
    private static SqliteConnection OpenReadOnly(string store)
    {
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = store, Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString());
        connection.Open();
        return connection;
    }

    private static bool HasColumn(SqliteConnection connection, string table, string column)
    {
        using var command = connection.CreateCommand();
        command.CommandText = $"SELECT COUNT(*) FROM pragma_table_info('{table}') WHERE name = $column";
        command.Parameters.AddWithValue("$column", column);
        return (long)command.ExecuteScalar()! > 0;
    }
}

/// <summary>A row a step committed: its key (where it came from, stable across runs: <c>12</c>, <c>12.1</c>), the sequence number of its commit, and its columns.</summary>
/// <param name="Key">The row's key; with the step's name, it names one row of a run directory.</param>
/// <param name="Sequence">The commit's sequence number within the step (increasing; several rows of one input share it).</param>
/// <param name="Row">The row's columns, as the step wrote them.</param>
public sealed record CommittedRow(string Key, long Sequence, JsonObject Row);

/// <summary>A step of a run store: its name, kind, parents and how many input rows it has committed.</summary>
/// <param name="Name">The step's name.</param>
/// <param name="Kind">What kind of step (<c>task</c>, <c>load</c>, ...); null in a store from before kinds were kept.</param>
/// <param name="Parents">The steps it reads from.</param>
/// <param name="InputRows">How many of its input rows it has committed (each may have made zero, one or several rows).</param>
public sealed record CommittedStep(string Name, string? Kind, IReadOnlyList<string> Parents, long InputRows);
