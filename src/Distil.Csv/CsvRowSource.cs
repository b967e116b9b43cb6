using System.Runtime.CompilerServices;
using System.Text.Json.Nodes;
using CsvHelper;

namespace Distil.Pipelines;

/// <summary>
/// Rows from a CSV file (RFC 4180: comma-separated, fields quoted with <c>"</c>, line breaks allowed inside quotes).
/// The first record is the header and names the columns; every value is read as a string, an empty field as
/// <c>""</c>. Blank lines are skipped, and an empty file has no rows. Loaded as a record
/// (<c>Pipeline.Load&lt;TRow&gt;</c>), each cell is read as its property's type instead: numbers, booleans, lists (a JSON
/// array, or text split on the separator of a <see cref="CsvListAttribute"/>), nullable values.
/// </summary>
public sealed class CsvRowSource : IRecordRowSource
{
    /// <summary>
    /// How the file is read. The separator is fixed to a comma rather than detected: detection guesses from the first
    /// lines, and a file whose text column is full of semicolons could be split on them.
    /// </summary>
    private static readonly CsvReaderOptions Options = CsvReaderOptions.Default with
    {
        Separator = ',',
        HasHeader = true,
        TrackLineNumbers = true,
    };

    /// <summary>Reads rows from <paramref name="path"/>.</summary>
    public CsvRowSource(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        Path = System.IO.Path.GetFullPath(path);
    }

    /// <summary>The file's full path.</summary>
    public string Path { get; }

    /// <inheritdoc/>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    public string Describe()
    {
        var file = new FileInfo(Path);
        if (!file.Exists) throw new FileNotFoundException($"The csv file '{Path}' does not exist.", Path);
        return $"csv file {Path} ({file.Length} bytes, modified {file.LastWriteTimeUtc:O})";
    }

    /// <inheritdoc/>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">
    /// A record has a different number of fields than the header, the header names a column twice, or the file cannot
    /// be parsed; the message names the file and the line.
    /// </exception>
    public IAsyncEnumerable<JsonObject> ReadAsync(CancellationToken cancellationToken) => ReadAsync(null, null, cancellationToken);

    /// <summary>
    /// The rows with each cell read as its column's type in <paramref name="record"/> (<see cref="CsvCells"/>); the
    /// readers are made here, so a <c>[CsvList]</c> on a property that is not a list fails at once.
    /// </summary>
    /// <exception cref="ArgumentException">A property's <c>[CsvList]</c> is on something that is not a list.</exception>
    public IRowSource ForRecord(RowMapper record)
    {
        ArgumentNullException.ThrowIfNull(record);
        return new RecordRows(this, record, CsvCells.Of(record));
    }

    /// <summary>
    /// Reads the rows with each cell as its column's type (<c>Pipeline.Load&lt;TRow&gt;</c>, <see cref="CsvCells"/>);
    /// columns without a reader stay text. A cell that does not fit stops the read with an
    /// <see cref="InvalidDataException"/> naming the row (as a spreadsheet numbers it, the header being row 1) and the column.
    /// </summary>
    private async IAsyncEnumerable<JsonObject> ReadAsync(RowMapper? record, IReadOnlyList<CsvCells.ColumnReader>? readers, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        // The reader takes the bytes directly (it parses UTF-8, honouring a byte order mark) and disposes the stream.
        await using var csv = CsvReader.Create(OpenRead(), Options, leaveOpen: false);
        await Guard(() => csv.ReadHeaderAsync(cancellationToken)).ConfigureAwait(false);
        var header = csv.Headers;
        if (header.Count == 0) yield break;
        CheckUniqueNames(header);
        var headerChecked = record is null;
        var byColumn = new CsvCells.ColumnReader?[header.Count];
        for (var i = 0; i < header.Count; i++) byColumn[i] = readers?.FirstOrDefault(r => r.Name == header[i]);

        while (await Guard(() => csv.ReadAsync(cancellationToken)).ConfigureAwait(false))
        {
            if (csv.FieldCount != header.Count)
                throw new InvalidDataException($"{Path} line {csv.LineNumber}: has {csv.FieldCount} fields, the header has {header.Count}.");
            var row = new JsonObject();
            for (var i = 0; i < header.Count; i++)
            {
                var text = csv.GetString(i);
                if (byColumn[i] is not { } reader)
                {
                    row[header[i]] = text;
                    continue;
                }
                CsvCells.Cell cell;
                try
                {
                    cell = reader.Read(text);
                }
                catch (FormatException error)
                {
                    // Rule: the row as a spreadsheet shows it (the header is row 1); the file's line too when a quoted line break moved it.
                    var spreadsheetRow = csv.RowNumber + 1;
                    var line = csv.LineNumber == spreadsheetRow ? "" : $" (line {csv.LineNumber})";
                    throw new InvalidDataException(ErrorText.Sentence($"{Path} row {spreadsheetRow}{line}, column '{header[i]}': {ErrorText.Of(error)}"), error);
                }
                if (cell.Present) row[header[i]] = cell.Value;
            }
            if (!headerChecked)
            {
                CheckRequiredColumns(header, record!);
                headerChecked = true;
            }
            yield return row;
        }
    }

    /// <inheritdoc/>
    /// <remarks>
    /// Always null: counting records means parsing the whole file (quoted fields may span lines), which costs as much
    /// as reading it.
    /// </remarks>
    public ValueTask<long?> CountAsync(CancellationToken cancellationToken)
    {
        // Still report a missing file here, as the other file sources do.
        if (!File.Exists(Path)) throw new FileNotFoundException($"The csv file '{Path}' does not exist.", Path);
        return ValueTask.FromResult<long?>(null);
    }

    /// <summary>
    /// A row is a JSON object, whose keys are unique: a header that names a column twice would silently lose one of
    /// the two columns.
    /// </summary>
    private void CheckUniqueNames(IReadOnlyList<string> header)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var name in header)
        {
            if (!names.Add(name))
                throw new InvalidDataException($"{Path}: the header names the column '{name}' twice.");
        }
    }

    /// <summary>
    /// A CSV file's columns are its header's: a column the record requires and the header lacks is named with the
    /// header, not a row. Checked when the first record is read, so a file with a header and no rows still loads.
    /// </summary>
    private void CheckRequiredColumns(IReadOnlyList<string> header, RowMapper record)
    {
        foreach (var required in record.Required)
        {
            if (!header.Contains(required))
                throw new PipelineException($"{Path}: the header has no column '{required}', which {record.TypeName} declares (the header has {string.Join(", ", header)}). Add the column, or make the property nullable or give it a default.");
        }
    }

    private FileStream OpenRead() =>
        File.Exists(Path)
            ? new FileStream(Path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, useAsync: true)
            : throw new FileNotFoundException($"The file '{Path}' does not exist.", Path);

    /// <summary>The rows of a CSV file read as a record's columns.</summary>
    private sealed class RecordRows(CsvRowSource file, RowMapper record, IReadOnlyList<CsvCells.ColumnReader> readers) : IRowSource
    {
        public string Describe() => file.Describe();

        public IAsyncEnumerable<JsonObject> ReadAsync(CancellationToken cancellationToken) => file.ReadAsync(record, readers, cancellationToken);

        public ValueTask<long?> CountAsync(CancellationToken cancellationToken) => file.CountAsync(cancellationToken);
    }

    /// <summary>Runs a read, turning the parser's format errors into errors that name the file and the line.</summary>
    private async ValueTask<T> Guard<T>(Func<ValueTask<T>> read)
    {
        try
        {
            return await read().ConfigureAwait(false);
        }
        catch (CsvFormatException error)
        {
            var where = error.LineNumber > 0 ? $"line {error.LineNumber}" : $"record {error.RecordNumber}";
            throw new InvalidDataException($"{Path} {where}: {error.Message}", error);
        }
    }

    private async ValueTask Guard(Func<ValueTask> read)
    {
        await Guard<bool>(async () =>
        {
            await read().ConfigureAwait(false);
            return true;
        }).ConfigureAwait(false);
    }
}
