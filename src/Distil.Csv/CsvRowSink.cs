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
public sealed class CsvRowSink : FileRowSink
{
    private static readonly CsvWriterOptions Options = CsvWriterOptions.Default with
    {
        Separator = ',',
        NewLine = "\n",
        WriteByteOrderMark = false,
    };

    /// <summary>Writes to <paramref name="path"/> (created with its folder; replaced when the run completes).</summary>
    public CsvRowSink(string path) : base(path, "csv")
    {
    }

    /// <summary>The header names every column before the first row.</summary>
    protected override bool NeedsCompleteSchema => true;

    /// <summary>Writes every row, with the columns of the schema (the context's, completed over the rows).</summary>
    /// <exception cref="InvalidDataException">No row has any column, or a row has a column the schema does not list; the message names it and the row.</exception>
    protected override async Task WriteFileAsync(Stream file, IAsyncEnumerable<JsonObject> rows, RowSchema? schema, RowSinkContext context, CancellationToken cancellationToken)
    {
        if (schema!.Count == 0) throw new InvalidDataException($"{Path}: no row has any column, and a CSV file needs at least one.");
        var header = schema.Names.ToArray();
        // The base owns the file: the writer leaves it open and the base closes it.
        await using var csv = CsvWriter.Create(file, Options, leaveOpen: true);
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
}
