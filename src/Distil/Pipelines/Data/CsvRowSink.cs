using System.Text.Json.Nodes;
using CsvHelper;
using Distil.Mapping;

namespace Distil.Pipelines;

/// <summary>
/// Writes rows to a CSV file (RFC 4180, UTF-8 without a byte order mark, <c>\n</c> line ends) with a header row.
/// The columns are the pipeline's, in its schema's order; without a schema (or with columns a <c>Map</c> added)
/// they are found over every row first, spooled to a temporary file beside the output. A string is written as it
/// is, a number or a boolean as its JSON text, a list or a record as compact JSON, and a null or missing value as
/// an empty field, so an empty string and a null read back alike. Fields are quoted only when they need it.
/// </summary>
/// <remarks>
/// Text is written unchanged even when it starts with <c>=</c>, <c>+</c>, <c>-</c> or <c>@</c>: a dataset keeps its
/// values. Open a generated file in a spreadsheet as data (import), not by double-clicking, if its text may hold formulas.
/// </remarks>
public sealed class CsvRowSink : IRowSink
{
    private static readonly CsvWriterOptions Options = CsvWriterOptions.Default with
    {
        Separator = ',',
        NewLine = "\n",
        WriteByteOrderMark = false,
    };

    /// <summary>Writes to <paramref name="path"/> (created with its folder; replaced when the run completes).</summary>
    public CsvRowSink(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        Path = System.IO.Path.GetFullPath(path);
    }

    /// <summary>The file's full path.</summary>
    public string Path { get; }

    /// <inheritdoc/>
    public string Describe() => $"csv file {Path}";

    /// <inheritdoc/>
    public Task WriteAsync(IAsyncEnumerable<JsonObject> rows, CancellationToken cancellationToken) =>
        WriteAsync(rows, new RowSinkContext(), cancellationToken);

    /// <summary>Writes every row, with the columns of the context's schema (found over the rows when it has none).</summary>
    /// <exception cref="InvalidDataException">No row has any column, or a row has a column the schema does not list; the message names it and the row.</exception>
    public async Task WriteAsync(IAsyncEnumerable<JsonObject> rows, RowSinkContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(rows);
        ArgumentNullException.ThrowIfNull(context);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(Path)!);
        var schema = context.Schema;
        await using var spool = RowSpool.IsComplete(schema) ? null : await RowSpool.CreateAsync(rows, schema, Path + ".spool", cancellationToken).ConfigureAwait(false);
        if (spool is not null)
        {
            schema = spool.Schema;
            rows = spool.ReadAsync(cancellationToken);
        }
        if (schema!.Count == 0) throw new InvalidDataException($"{Path}: no row has any column, and a CSV file needs at least one.");
        var header = schema.Names.ToArray();
        var temporary = Path + ".tmp";
        try
        {
            var stream = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16, useAsync: true);
            await using (var csv = CsvWriter.Create(stream, Options, leaveOpen: false))
            {
                await csv.WriteRecordAsync(header, cancellationToken).ConfigureAwait(false);
                var fields = new string?[header.Length];
                long index = 0;
                await foreach (var row in rows.WithCancellation(cancellationToken).ConfigureAwait(false))
                {
                    foreach (var (name, _) in row)
                    {
                        if (!schema.Contains(name))
                            throw new InvalidDataException($"{Path}: row {index} has a column '{name}' that the header (from the pipeline's schema) does not list: {string.Join(", ", header)}.");
                    }
                    for (var i = 0; i < header.Length; i++) fields[i] = JsonNodeRead.Text(row[header[i]]);
                    await csv.WriteRecordAsync(fields!, cancellationToken).ConfigureAwait(false);
                    index++;
                }
            }
            File.Move(temporary, Path, overwrite: true);
        }
        catch
        {
            File.Delete(temporary);
            throw;
        }
    }

}
