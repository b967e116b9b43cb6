namespace Distil.Pipelines;

/// <summary>JSON Lines, built in: read from <c>.jsonl</c>, <c>.ndjson</c> and <c>.json</c>, written to <c>.jsonl</c> and <c>.ndjson</c>.</summary>
internal sealed class JsonlFileFormat : RowFileFormat
{
    public override string Name => "jsonl";

    public override IReadOnlyList<string> Extensions { get; } = [".jsonl", ".ndjson", ".json"];

    public override IRowSource OpenSource(string path) => new JsonlRowSource(path);

    // Rule: a .json file is read as JSON Lines, but not written as one: a reader would expect one JSON document.
    public override IRowSink OpenSink(string path) =>
        string.Equals(Path.GetExtension(path), ".json", StringComparison.OrdinalIgnoreCase)
            ? throw new ArgumentException($"'{path}': a .json file is read as JSON Lines but not written as one; write to a .jsonl file.", nameof(path))
            : new JsonlRowSink(path);
}
