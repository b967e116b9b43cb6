using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Distil.Pipelines;
using Microsoft.Data.Sqlite;

namespace Distil.View;

/// <summary>
/// The view's index of a run directory's committed rows: a SQLite file beside the run store (<see cref="FileName"/>),
/// built incrementally from commit sequences (<see cref="RunDirectoryReader.ReadCommittedRowsAsync"/> after the last
/// sequence indexed), so that a page of rows, a filter, a search or a sort is one query over a narrow table instead of a
/// pass over the store. It keeps per row only its key, commit sequence, status flags and short scalar cells (one SQLite
/// column per row column), plus a contentless full-text index of its texts; the whole row is read from the run store
/// when it is opened. The run store is only read, and its lock is never taken.
/// </summary>
internal sealed class ViewIndex : IDisposable
{
    /// <summary>The index's file name in the run directory.</summary>
    public const string FileName = "view-index.db";

    // Bump when the layout changes: an index of another version is thrown away and built again.
    private const string Version = "1";

    // Cells longer than this keep their start: the list shows a preview and filters compare it.
    private const int CellChars = 160;

    // Text given to the full-text index per row, at most.
    private const int SearchChars = 4000;

    // Rows read from the store per query: short reads, so that the run's store is never held in one long snapshot.
    private const int ReadChunk = 5000;

    private static readonly string[] DefaultMetadataColumns = ["distilabel_metadata"];

    private readonly string _runDirectory;
    private readonly string _readConnection;
    private readonly SqliteConnection _writer;
    private readonly SemaphoreSlim _writing = new(1, 1);
    private readonly Dictionary<string, StepState> _steps = new(StringComparer.Ordinal);

    private ViewIndex(string runDirectory, string path)
    {
        _runDirectory = runDirectory;
        Path = path;
        _writer = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Mode = SqliteOpenMode.ReadWriteCreate, Pooling = false }.ToString());
        _readConnection = new SqliteConnectionStringBuilder { DataSource = path, Mode = SqliteOpenMode.ReadOnly }.ToString();
    }

    /// <summary>The index file.</summary>
    public string Path { get; }

    /// <summary>
    /// Opens (or creates) the index of <paramref name="runDirectory"/>: <see cref="FileName"/> in it, or at
    /// <paramref name="indexPath"/>. Nothing is indexed until <see cref="CatchUpAsync"/>.
    /// </summary>
    public static ViewIndex Open(string runDirectory, string? indexPath = null)
    {
        var path = indexPath ?? System.IO.Path.Combine(runDirectory, FileName);
        var index = new ViewIndex(runDirectory, path);
        try
        {
            index.Initialise();
        }
        catch
        {
            index.Dispose();
            throw;
        }
        return index;
    }

    private void Initialise()
    {
        _writer.Open();
        Execute("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;");
        Execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)");
        if (Meta("version") is { } version && version != Version) Reset();
        Execute("""
            CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
            CREATE TABLE IF NOT EXISTS steps (id INTEGER PRIMARY KEY, step TEXT NOT NULL UNIQUE, last_seq INTEGER NOT NULL, rows INTEGER NOT NULL);
            CREATE TABLE IF NOT EXISTS columns (step_id INTEGER NOT NULL, name TEXT NOT NULL, slot INTEGER NOT NULL, kind TEXT NOT NULL, PRIMARY KEY (step_id, name));
            """);
        SetMeta("version", Version);
        LoadSteps();
    }

    // Drops every table: the index is built again from the store.
    private void Reset()
    {
        var tables = new List<string>();
        using (var command = _writer.CreateCommand())
        {
            command.CommandText = "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE 'fts\\_%\\_%' ESCAPE '\\'";
            using var reader = command.ExecuteReader();
            while (reader.Read()) tables.Add(reader.GetString(0));
        }
        foreach (var table in tables) Execute($"DROP TABLE IF EXISTS \"{table}\"");
        _steps.Clear();
    }

    private void LoadSteps()
    {
        using var command = _writer.CreateCommand();
        command.CommandText = "SELECT id, step, last_seq, rows FROM steps";
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            var state = new StepState(reader.GetInt64(0), reader.GetString(1)) { LastSequence = reader.GetInt64(2), Rows = reader.GetInt64(3) };
            _steps[state.Name] = state;
        }
        foreach (var state in _steps.Values)
        {
            foreach (var column in ReadColumns(_writer, state.Id)) state.Columns[column.Name] = column;
        }
    }

    /// <summary>
    /// Indexes what the run store committed since the last call (every step, in chunks, each chunk one transaction that
    /// also records its last sequence, so that a stopped view goes on where it stopped). Returns the rows added.
    /// </summary>
    public async Task<long> CatchUpAsync(CancellationToken cancellationToken = default)
    {
        if (!RunDirectoryReader.HasStore(_runDirectory)) return 0;
        await _writing.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            ResetWhenANewRunStarted();
            var metadataColumns = MetadataColumns();
            long added = 0;
            foreach (var step in RunDirectoryReader.ReadSteps(_runDirectory))
            {
                added += await CatchUpStepAsync(step.Name, metadataColumns, cancellationToken).ConfigureAwait(false);
            }
            return added;
        }
        finally
        {
            _writing.Release();
        }
    }

    // A later run may recompute a step or retry its failed rows, replacing rows under the sequence numbers they had:
    // reading only after the last sequence would miss them, so a new run in the log starts the index again.
    private void ResetWhenANewRunStarted()
    {
        var runs = RunDirectoryReader.ReadRuns(_runDirectory).Count.ToString(CultureInfo.InvariantCulture);
        var known = Meta("runs");
        // A store seen before the log's first line is that first run's, not an earlier one's.
        if (known is not null && known != "0" && known != runs && _steps.Count > 0)
        {
            Reset();
            Initialise();
        }
        SetMeta("runs", runs);
    }

    // The columns that hold task metadata: distilabel's default, and any other a task of the log names.
    private string[] MetadataColumns() =>
        RunDirectoryReader.ReadRuns(_runDirectory)
            .SelectMany(run => run["steps"] as JsonArray ?? [])
            .Select(step => (string?)step?["metadata_column"])
            .OfType<string>()
            .Concat(DefaultMetadataColumns)
            .Distinct(StringComparer.Ordinal)
            .ToArray();

    private async Task<long> CatchUpStepAsync(string name, string[] metadataColumns, CancellationToken cancellationToken)
    {
        var state = StepOf(name);
        long added = 0;
        while (true)
        {
            var chunk = new List<CommittedRow>(ReadChunk + 16);
            long chunkEnd = -1;
            await foreach (var row in RunDirectoryReader.ReadCommittedRowsAsync(_runDirectory, name, state.LastSequence, cancellationToken).ConfigureAwait(false))
            {
                // A chunk ends on a commit's edge, so that all rows of one sequence land in one transaction.
                if (chunk.Count >= ReadChunk && row.Sequence != chunkEnd) break;
                chunk.Add(row);
                chunkEnd = row.Sequence;
            }
            if (chunk.Count == 0) return added;
            Insert(state, chunk, metadataColumns);
            added += chunk.Count;
            if (chunk.Count < ReadChunk) return added;
        }
    }

    private StepState StepOf(string name)
    {
        if (_steps.TryGetValue(name, out var state)) return state;
        using (var command = _writer.CreateCommand())
        {
            command.CommandText = "INSERT INTO steps (step, last_seq, rows) VALUES ($step, -1, 0) RETURNING id";
            command.Parameters.AddWithValue("$step", name);
            state = new StepState((long)command.ExecuteScalar()!, name) { LastSequence = -1 };
        }
        Execute($"""
            CREATE TABLE IF NOT EXISTS {state.Rows_} (rid INTEGER PRIMARY KEY, seq INTEGER NOT NULL, key TEXT NOT NULL, flags INTEGER NOT NULL);
            CREATE INDEX IF NOT EXISTS {state.Rows_}_key ON {state.Rows_} (key);
            CREATE VIRTUAL TABLE IF NOT EXISTS {state.Fts} USING fts5(text, content='', tokenize='unicode61 remove_diacritics 2');
            """);
        _steps[name] = state;
        return state;
    }

    private void Insert(StepState state, List<CommittedRow> rows, string[] metadataColumns)
    {
        using var transaction = _writer.BeginTransaction();
        foreach (var row in rows)
        {
            foreach (var (column, value) in row.Row)
            {
                if (!metadataColumns.Contains(column)) AddColumn(state, column, value, transaction);
            }
        }
        using var insert = _writer.CreateCommand();
        insert.Transaction = transaction;
        var slots = state.Columns.Values.OrderBy(c => c.Slot).ToList();
        insert.CommandText = $"INSERT INTO {state.Rows_} (seq, key, flags{string.Concat(slots.Select(c => ", c" + c.Slot))}) VALUES ($seq, $key, $flags{string.Concat(slots.Select(c => ", $c" + c.Slot))}) RETURNING rid";
        var seq = insert.Parameters.Add("$seq", SqliteType.Integer);
        var key = insert.Parameters.Add("$key", SqliteType.Text);
        var flags = insert.Parameters.Add("$flags", SqliteType.Integer);
        var cells = slots.Select(c => insert.Parameters.Add("$c" + c.Slot, SqliteType.Text)).ToArray();
        using var search = _writer.CreateCommand();
        search.Transaction = transaction;
        search.CommandText = $"INSERT INTO {state.Fts} (rowid, text) VALUES ($rid, $text)";
        var searchRid = search.Parameters.Add("$rid", SqliteType.Integer);
        var searchText = search.Parameters.Add("$text", SqliteType.Text);
        var text = new StringBuilder();
        foreach (var row in rows)
        {
            seq.Value = row.Sequence;
            key.Value = row.Key;
            flags.Value = (long)RowFlagReader.Of(row.Row, metadataColumns);
            for (var i = 0; i < slots.Count; i++) cells[i].Value = Cell(row.Row[slots[i].Name]) ?? DBNull.Value;
            var rid = (long)insert.ExecuteScalar()!;
            text.Clear();
            foreach (var (column, value) in row.Row) Collect(value, text, metadataColumns.Contains(column));
            if (text.Length == 0) continue;
            searchRid.Value = rid;
            searchText.Value = text.Length > SearchChars ? text.ToString(0, SearchChars) : text.ToString();
            search.ExecuteNonQuery();
        }
        state.Rows += rows.Count;
        state.LastSequence = rows[^1].Sequence;
        using (var update = _writer.CreateCommand())
        {
            update.Transaction = transaction;
            update.CommandText = "UPDATE steps SET last_seq = $seq, rows = $rows WHERE id = $id";
            update.Parameters.AddWithValue("$seq", state.LastSequence);
            update.Parameters.AddWithValue("$rows", state.Rows);
            update.Parameters.AddWithValue("$id", state.Id);
            update.ExecuteNonQuery();
        }
        transaction.Commit();
    }

    // A row column gets a SQLite column the first time it is seen; its kind is that of its first value that is not null,
    // and a column whose values disagree is compared as text.
    private void AddColumn(StepState state, string name, JsonNode? value, SqliteTransaction transaction)
    {
        var kind = KindOf(value);
        if (state.Columns.TryGetValue(name, out var known))
        {
            if (kind is null || known.Kind == kind || known.Kind == ColumnKinds.Mixed || known.Kind is null) { if (known.Kind is null && kind is not null) SetKind(state, known with { Kind = kind }, transaction); return; }
            SetKind(state, known with { Kind = ColumnKinds.Mixed }, transaction);
            return;
        }
        var column = new IndexedColumn(name, state.Columns.Count, kind);
        using (var alter = _writer.CreateCommand())
        {
            alter.Transaction = transaction;
            alter.CommandText = $"ALTER TABLE {state.Rows_} ADD COLUMN c{column.Slot}";
            alter.ExecuteNonQuery();
        }
        using (var insert = _writer.CreateCommand())
        {
            insert.Transaction = transaction;
            insert.CommandText = "INSERT INTO columns (step_id, name, slot, kind) VALUES ($id, $name, $slot, $kind)";
            insert.Parameters.AddWithValue("$id", state.Id);
            insert.Parameters.AddWithValue("$name", name);
            insert.Parameters.AddWithValue("$slot", column.Slot);
            insert.Parameters.AddWithValue("$kind", column.Kind ?? "");
            insert.ExecuteNonQuery();
        }
        state.Columns[name] = column;
    }

    private void SetKind(StepState state, IndexedColumn column, SqliteTransaction transaction)
    {
        using var update = _writer.CreateCommand();
        update.Transaction = transaction;
        update.CommandText = "UPDATE columns SET kind = $kind WHERE step_id = $id AND name = $name";
        update.Parameters.AddWithValue("$kind", column.Kind ?? "");
        update.Parameters.AddWithValue("$id", state.Id);
        update.Parameters.AddWithValue("$name", column.Name);
        update.ExecuteNonQuery();
        state.Columns[column.Name] = column;
    }

    private static string? KindOf(JsonNode? value) => value switch
    {
        null => null,
        JsonArray => ColumnKinds.List,
        JsonObject => ColumnKinds.Record,
        JsonValue v => v.GetValueKind() switch
        {
            JsonValueKind.Number => ColumnKinds.Number,
            JsonValueKind.True or JsonValueKind.False => ColumnKinds.Boolean,
            _ => ColumnKinds.Text,
        },
        _ => ColumnKinds.Text,
    };

    // A cell as the list shows it and a filter compares it: numbers as numbers, booleans as 0/1, a text's start, a list
    // or record as the start of its JSON.
    private static object? Cell(JsonNode? value)
    {
        switch (value)
        {
            case null:
                return null;
            case JsonValue v when v.GetValueKind() == JsonValueKind.Number:
                return v.TryGetValue<long>(out var whole) ? whole : v.GetValue<double>();
            case JsonValue v when v.GetValueKind() is JsonValueKind.True or JsonValueKind.False:
                return v.GetValue<bool>() ? 1L : 0L;
            case JsonValue v when v.TryGetValue<string>(out var text):
                return Shorten(text);
            default:
                return Shorten(value.ToJsonString());
        }
    }

    private static string Shorten(string text) => text.Length <= CellChars ? text : text[..CellChars] + "…";

    // The texts a search finds a row by: every text of its columns and, from its metadata, the raw answers and errors.
    private static void Collect(JsonNode? value, StringBuilder text, bool metadata)
    {
        if (text.Length >= SearchChars) return;
        switch (value)
        {
            case JsonObject record:
                foreach (var (key, inner) in record)
                {
                    if (metadata && !(key.StartsWith("raw_output", StringComparison.Ordinal) || key.Contains("error_", StringComparison.Ordinal))) continue;
                    Collect(inner, text, metadata: false);
                }
                break;
            case JsonArray list:
                foreach (var item in list) Collect(item, text, metadata);
                break;
            case JsonValue v when !metadata:
                text.Append(v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : v.ToJsonString()).Append('\n');
                break;
        }
    }

    /// <summary>The steps indexed so far, in the order they were first seen, with their row counts and last sequence.</summary>
    public IReadOnlyList<IndexedStep> Steps()
    {
        using var connection = OpenReader();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT id, step, last_seq, rows FROM steps ORDER BY id";
        using var reader = command.ExecuteReader();
        var steps = new List<IndexedStep>();
        while (reader.Read()) steps.Add(new IndexedStep(reader.GetString(1), reader.GetInt64(3), reader.GetInt64(2)));
        return steps;
    }

    /// <summary>The columns of <paramref name="step"/>'s rows, in the order they were first seen (empty for a step not indexed yet).</summary>
    public IReadOnlyList<IndexedColumn> Columns(string step)
    {
        using var connection = OpenReader();
        return StepId(connection, step) is { } id ? ReadColumns(connection, id) : [];
    }

    /// <summary>One page of <paramref name="step"/>'s rows that <paramref name="query"/> selects, and how many it selects in all.</summary>
    /// <exception cref="ArgumentException">The query names a column the step does not have, or a flag that does not exist.</exception>
    public RowPage Query(string step, RowQuery query)
    {
        using var connection = OpenReader();
        if (StepId(connection, step) is not { } id) return new RowPage(0, [], []);
        var columns = ReadColumns(connection, id);
        var byName = columns.ToDictionary(c => c.Name, StringComparer.Ordinal);
        var table = $"rows_{id}";
        using var command = connection.CreateCommand();
        var where = Conditions(query, byName, id, command);
        var whereText = where.Count == 0 ? "" : " WHERE " + string.Join(" AND ", where);
        command.CommandText = $"SELECT COUNT(*) FROM {table}{whereText}";
        var total = (long)command.ExecuteScalar()!;
        command.CommandText = $"SELECT rid, seq, key, flags{string.Concat(columns.Select(c => ", c" + c.Slot))} FROM {table}{whereText} " +
            $"ORDER BY {OrderBy(query, byName)} LIMIT $limit OFFSET $offset";
        command.Parameters.AddWithValue("$limit", Math.Clamp(query.Limit, 1, 500));
        command.Parameters.AddWithValue("$offset", Math.Max(0, query.Offset));
        using var reader = command.ExecuteReader();
        var rows = new List<IndexedRow>();
        while (reader.Read())
        {
            var cells = new object?[columns.Count];
            for (var i = 0; i < columns.Count; i++) cells[i] = reader.IsDBNull(4 + i) ? null : reader.GetValue(4 + i);
            rows.Add(new IndexedRow(reader.GetString(2), reader.GetInt64(1), (RowFlags)reader.GetInt64(3), cells));
        }
        return new RowPage(total, columns, rows);
    }

    // Commit order by default; a column's order puts rows without a value last, and commit order breaks ties.
    private static string OrderBy(RowQuery query, Dictionary<string, IndexedColumn> columns)
    {
        var direction = query.Descending ? " DESC" : "";
        if (string.IsNullOrEmpty(query.Sort)) return "rid" + direction;
        var sorted = query.Sort == "key" && !columns.ContainsKey("key") ? "key" : "c" + Column(columns, query.Sort).Slot;
        return $"{sorted} IS NULL, {sorted}{direction}, rid";
    }

    private static List<string> Conditions(RowQuery query, Dictionary<string, IndexedColumn> columns, long stepId, SqliteCommand command)
    {
        var where = new List<string>();
        if (query.Flags != RowFlags.None)
        {
            where.Add("(flags & $flags) != 0");
            command.Parameters.AddWithValue("$flags", (long)query.Flags);
        }
        if (SearchExpression(query.Search) is { } match)
        {
            where.Add($"rid IN (SELECT rowid FROM fts_{stepId} WHERE fts_{stepId} MATCH $search)");
            command.Parameters.AddWithValue("$search", match);
        }
        var n = 0;
        foreach (var (name, value) in query.Equal)
        {
            var column = Column(columns, name);
            where.Add($"c{column.Slot} = $e{n}");
            command.Parameters.AddWithValue("$e" + n++, Typed(column, value));
        }
        foreach (var (name, min, max) in query.Ranges)
        {
            var column = Column(columns, name);
            if (min is not null) { where.Add($"c{column.Slot} >= $e{n}"); command.Parameters.AddWithValue("$e" + n++, min.Value); }
            if (max is not null) { where.Add($"c{column.Slot} <= $e{n}"); command.Parameters.AddWithValue("$e" + n++, max.Value); }
        }
        return where;
    }

    private static IndexedColumn Column(Dictionary<string, IndexedColumn> columns, string name) =>
        columns.TryGetValue(name, out var column) ? column : throw new ArgumentException($"The step has no column '{name}' (its columns: {string.Join(", ", columns.Keys)}).", nameof(name));

    // A value from the page compared as the column stores it: a number column's value as a number, a boolean as 0/1.
    private static object Typed(IndexedColumn column, string value) => column.Kind switch
    {
        ColumnKinds.Number when long.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var whole) => whole,
        ColumnKinds.Number when double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var real) => real,
        ColumnKinds.Boolean when bool.TryParse(value, out var flag) => flag ? 1L : 0L,
        _ => value,
    };

    /// <summary>The full-text query for what a user typed: every word, as a prefix, must occur (null when nothing to look for).</summary>
    internal static string? SearchExpression(string? search)
    {
        if (string.IsNullOrWhiteSpace(search)) return null;
        var words = new List<string>();
        var word = new StringBuilder();
        foreach (var c in search + " ")
        {
            if (char.IsLetterOrDigit(c)) { word.Append(c); continue; }
            if (word.Length > 0) words.Add(word.ToString());
            word.Clear();
        }
        // Quoted, so that a word is never read as an operator (AND, NEAR, a column name).
        return words.Count == 0 ? null : string.Join(" ", words.Select(w => $"\"{w}\"*"));
    }

    /// <summary>The commit sequence of <paramref name="step"/>'s row <paramref name="key"/>, or null when it is not indexed.</summary>
    public long? SequenceOf(string step, string key)
    {
        using var connection = OpenReader();
        if (StepId(connection, step) is not { } id) return null;
        using var command = connection.CreateCommand();
        command.CommandText = $"SELECT seq FROM rows_{id} WHERE key = $key ORDER BY rid DESC LIMIT 1";
        command.Parameters.AddWithValue("$key", key);
        return command.ExecuteScalar() is long seq ? seq : null;
    }

    private static long? StepId(SqliteConnection connection, string step)
    {
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT id FROM steps WHERE step = $step";
        command.Parameters.AddWithValue("$step", step);
        return command.ExecuteScalar() is long id ? id : null;
    }

    private static List<IndexedColumn> ReadColumns(SqliteConnection connection, long stepId)
    {
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT name, slot, kind FROM columns WHERE step_id = $id ORDER BY slot";
        command.Parameters.AddWithValue("$id", stepId);
        using var reader = command.ExecuteReader();
        var columns = new List<IndexedColumn>();
        while (reader.Read()) columns.Add(new IndexedColumn(reader.GetString(0), reader.GetInt32(1), reader.GetString(2) is { Length: > 0 } kind ? kind : null));
        return columns;
    }

    private SqliteConnection OpenReader()
    {
        var connection = new SqliteConnection(_readConnection);
        connection.Open();
        return connection;
    }

    private string? Meta(string key)
    {
        using var command = _writer.CreateCommand();
        command.CommandText = "SELECT value FROM meta WHERE key = $key";
        command.Parameters.AddWithValue("$key", key);
        return command.ExecuteScalar() as string;
    }

    private void SetMeta(string key, string value)
    {
        using var command = _writer.CreateCommand();
        command.CommandText = "INSERT OR REPLACE INTO meta (key, value) VALUES ($key, $value)";
        command.Parameters.AddWithValue("$key", key);
        command.Parameters.AddWithValue("$value", value);
        command.ExecuteNonQuery();
    }

    private void Execute(string sql)
    {
        using var command = _writer.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    public void Dispose()
    {
        _writer.Dispose();
        _writing.Dispose();
    }

    // What the indexer knows of a step between calls.
    private sealed class StepState(long id, string name)
    {
        public long Id { get; } = id;

        public string Name { get; } = name;

        public string Rows_ => $"rows_{Id}";

        public string Fts => $"fts_{Id}";

        public long LastSequence { get; set; }

        public long Rows { get; set; }

        public Dictionary<string, IndexedColumn> Columns { get; } = new(StringComparer.Ordinal);
    }
}

/// <summary>The kinds of column the index tells apart (what filters a column offers).</summary>
internal static class ColumnKinds
{
    public const string Number = "number";
    public const string Text = "text";
    public const string Boolean = "boolean";
    public const string List = "list";
    public const string Record = "record";
    public const string Mixed = "mixed";
}

/// <summary>A step as indexed: its name, rows and the last commit sequence read.</summary>
internal sealed record IndexedStep(string Name, long Rows, long LastSequence);

/// <summary>A row column as indexed: its name, SQLite slot (<c>c&lt;slot&gt;</c>) and kind (null until a value is seen).</summary>
internal sealed record IndexedColumn(string Name, int Slot, string? Kind);

/// <summary>A row of a page: key, commit sequence, flags and the cells in column order.</summary>
internal sealed record IndexedRow(string Key, long Sequence, RowFlags Flags, object?[] Cells);

/// <summary>A page of rows, the columns of its cells, and how many rows the query selects in all.</summary>
internal sealed record RowPage(long Total, IReadOnlyList<IndexedColumn> Columns, IReadOnlyList<IndexedRow> Rows);

/// <summary>What a page asks for: a search, status flags (any of), equal values and ranges (all of), a sort and a window.</summary>
internal sealed record RowQuery
{
    public string? Search { get; init; }

    public RowFlags Flags { get; init; }

    public IReadOnlyList<(string Column, string Value)> Equal { get; init; } = [];

    public IReadOnlyList<(string Column, double? Min, double? Max)> Ranges { get; init; } = [];

    /// <summary>A column name, <c>key</c>, or null for commit order.</summary>
    public string? Sort { get; init; }

    public bool Descending { get; init; }

    public int Offset { get; init; }

    public int Limit { get; init; } = 50;
}
