using System.Text.Json.Nodes;

namespace Distil.Pipelines;

/// <summary>The built-in sources of rows, by format.</summary>
public static class RowSources
{
    /// <summary>A JSON Lines file: one object per line.</summary>
    public static IRowSource Jsonl(string path) => new JsonlRowSource(path);

    /// <summary>Rows made from nothing, with seeded, reproducible columns (<see cref="SampleSource"/>).</summary>
    public static SampleSource Sample(long rows, int seed, IReadOnlyDictionary<string, SampledColumn> columns) => new(rows, seed, columns);

    /// <summary>Rows made from nothing: the columns of each group (a person from Distil.Personas, say), then <paramref name="columns"/> (<see cref="SampleSource"/>).</summary>
    public static SampleSource Sample(long rows, int seed, IReadOnlyDictionary<string, SampledColumn> columns, IReadOnlyDictionary<string, SampledColumnGroup> groups) =>
        new(rows, seed, columns, groups);

    /// <summary>
    /// A sample described in JSON, as pipeline files write it:
    /// <c>{"rows": 1000, "seed": 7, "columns": {"topic": {"category": {"maths": 2, "history": 1}}, "level": {"uniform": [1, 5], "integers": true}}}</c>.
    /// Column kinds: <c>category</c> (a list of values, or values with weights), <c>subcategory</c>
    /// (<c>{"of": "topic", "values": {"maths": ["algebra", ...]}}</c>), <c>uniform</c> (<c>[low, high]</c>, with
    /// <c>"integers": true</c>), <c>gaussian</c> (<c>[mean, sd]</c>), <c>bernoulli</c> (p), <c>poisson</c> (mean),
    /// <c>uuid</c> (true), <c>datetime</c> (<c>[start, end]</c>, ISO 8601). Any other key names a
    /// <see cref="SampledColumnGroupKind"/> of <see cref="SampledColumnGroupKinds"/> (<c>"people": {...}</c> with Distil.Personas).
    /// </summary>
    /// <exception cref="FormatException">The JSON is not of that form; the message names the column.</exception>
    public static SampleSource Sample(JsonObject spec) => SampleSpec.Read(spec);

    /// <summary>Rows in memory.</summary>
    public static IRowSource Rows(IEnumerable<JsonObject> rows) => new MemoryRowSource(rows);

    /// <summary>
    /// A file, by its extension, in a format of <see cref="RowFileFormats"/>: <c>.jsonl</c>/<c>.ndjson</c>/<c>.json</c>
    /// built in, <c>.parquet</c> with the Distil.Parquet package, <c>.csv</c> with the Distil.Csv package, and any format a package or the program registers.
    /// </summary>
    /// <exception cref="ArgumentException">No registered format has that extension; the message names the package to add when one adds it.</exception>
    public static IRowSource File(string path) => RowFileFormats.Of(path).OpenSource(path);

    /// <summary>
    /// The reviewed rows of another run (<see cref="ReviewedRowSource"/>): step <paramref name="step"/>'s committed rows in
    /// <paramref name="runDirectory"/> with the reviewer's corrections applied, the columns <c>review_status</c>,
    /// <c>review_note</c> and <c>review_corrected</c> added, and only the rows <paramref name="keep"/> names.
    /// </summary>
    /// <param name="runDirectory">The run directory whose rows were reviewed.</param>
    /// <param name="step">The step whose rows to read; null for the run's last step.</param>
    /// <param name="keep">Which rows stay, by their verdict (default: all of them).</param>
    public static ReviewedRowSource Reviewed(string runDirectory, string? step = null, ReviewKeep keep = ReviewKeep.All) => new(runDirectory, step, keep);
}

/// <summary>The built-in dataset writers, by format.</summary>
public static class RowSinks
{
    /// <summary>A JSON Lines file.</summary>
    public static IRowSink Jsonl(string path) => new JsonlRowSink(path);

    /// <summary>
    /// A file, by its extension, in a format of <see cref="RowFileFormats"/>: <c>.jsonl</c>/<c>.ndjson</c> built
    /// in, <c>.parquet</c> with the Distil.Parquet package, <c>.csv</c> with the Distil.Csv package, and any format a package or the program registers.
    /// </summary>
    /// <exception cref="ArgumentException">No registered format has that extension; the message names the package to add when one adds it.</exception>
    public static IRowSink File(string path) => RowFileFormats.Of(path).OpenSink(path);
}
