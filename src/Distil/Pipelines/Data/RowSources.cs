using System.Text.Json.Nodes;

namespace Distil.Pipelines;

/// <summary>The built-in sources of rows, by format.</summary>
public static class RowSources
{
    /// <summary>A JSON Lines file: one object per line.</summary>
    public static IRowSource Jsonl(string path) => new JsonlRowSource(path);

    /// <summary>
    /// A CSV file with a header row; every value is read as a string, or, loaded as a record
    /// (<c>Pipeline.Load&lt;TRow&gt;</c>), as its property's type (lists as JSON arrays or split on the
    /// separator of a <see cref="CsvListAttribute"/>).
    /// </summary>
    public static IRowSource Csv(string path) => new CsvRowSource(path);

    /// <summary>A Parquet file (as written by pandas, pyarrow or Hugging Face datasets).</summary>
    public static IRowSource Parquet(string path) => new ParquetRowSource(path);

    /// <summary>Rows made from nothing, with seeded, reproducible columns (<see cref="SampleSource"/>).</summary>
    public static SampleSource Sample(long rows, int seed, IReadOnlyDictionary<string, SampledColumn> columns) => new(rows, seed, columns);

    /// <summary>
    /// A sample described in JSON, as pipeline files write it:
    /// <c>{"rows": 1000, "seed": 7, "columns": {"topic": {"category": {"maths": 2, "history": 1}}, "level": {"uniform": [1, 5], "integers": true}}}</c>.
    /// Column kinds: <c>category</c> (a list of values, or values with weights), <c>subcategory</c>
    /// (<c>{"of": "topic", "values": {"maths": ["algebra", ...]}}</c>), <c>uniform</c> (<c>[low, high]</c>, with
    /// <c>"integers": true</c>), <c>gaussian</c> (<c>[mean, sd]</c>), <c>bernoulli</c> (p), <c>poisson</c> (mean),
    /// <c>uuid</c> (true), <c>datetime</c> (<c>[start, end]</c>, ISO 8601).
    /// </summary>
    /// <exception cref="FormatException">The JSON is not of that form; the message names the column.</exception>
    public static SampleSource Sample(JsonObject spec) => SampleSpec.Read(spec);

    /// <summary>Rows in memory.</summary>
    public static IRowSource Rows(IEnumerable<JsonObject> rows) => new MemoryRowSource(rows);

    /// <summary>
    /// A file, by its extension: <c>.jsonl</c>/<c>.json</c>, <c>.csv</c> or <c>.parquet</c>.
    /// </summary>
    /// <exception cref="ArgumentException">The extension is none of these.</exception>
    public static IRowSource File(string path) => Path.GetExtension(path).ToLowerInvariant() switch
    {
        ".jsonl" or ".json" or ".ndjson" => Jsonl(path),
        ".csv" => Csv(path),
        ".parquet" => Parquet(path),
        var other => throw new ArgumentException($"Cannot tell the format of '{path}' from its extension '{other}'; use .jsonl, .csv or .parquet.", nameof(path)),
    };
}

/// <summary>The built-in dataset writers, by format.</summary>
public static class RowSinks
{
    /// <summary>A JSON Lines file.</summary>
    public static IRowSink Jsonl(string path) => new JsonlRowSink(path);

    /// <summary>A Parquet file, typed from the pipeline's schema (structs, typed lists, nulls anywhere).</summary>
    public static IRowSink Parquet(string path) => new ParquetRowSink(path);

    /// <summary>A CSV file with a header row; lists and records are written as JSON text.</summary>
    public static IRowSink Csv(string path) => new CsvRowSink(path);

    /// <summary>
    /// A dataset folder in the Hugging Face layout: <c>data/train-00000-of-0000N.parquet</c> shards
    /// and a <c>README.md</c> dataset card whose features come from the pipeline's schema, which
    /// <c>datasets.load_dataset(directory)</c> reads as it is.
    /// </summary>
    public static IRowSink HuggingFace(string directory, long maxShardBytes = 500_000_000) => new HuggingFaceRowSink(directory, maxShardBytes);

    /// <summary>A file, by its extension: <c>.jsonl</c>, <c>.csv</c> or <c>.parquet</c>.</summary>
    /// <exception cref="ArgumentException">The extension is none of these.</exception>
    public static IRowSink File(string path) => Path.GetExtension(path).ToLowerInvariant() switch
    {
        ".jsonl" or ".ndjson" => Jsonl(path),
        ".csv" => Csv(path),
        ".parquet" => Parquet(path),
        var other => throw new ArgumentException($"Cannot tell the format of '{path}' from its extension '{other}'; use .jsonl, .csv or .parquet.", nameof(path)),
    };
}
