using System.Runtime.CompilerServices;
using System.Text.Json.Nodes;
using Distil.Mapping;
using Distil.Pipelines;

namespace Distil.Tests.Pipelines.Formats;

/// <summary>A format a user adds: tab-separated text, header first, no quoting.</summary>
internal sealed class TsvFormat : RowFileFormat
{
    public override string Name => "tsv";

    public override IReadOnlyList<string> Extensions { get; } = [".tsv"];

    public override IRowSource OpenSource(string path) => new TsvRowSource(path);

    public override IRowSink OpenSink(string path) => new TsvRowSink(path);
}

internal sealed class TsvRowSource(string path) : IRowSource
{
    public string Describe() => $"tsv file {Path.GetFullPath(path)}";

    public async IAsyncEnumerable<JsonObject> ReadAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var lines = await File.ReadAllLinesAsync(path, cancellationToken);
        var header = lines[0].Split('\t');
        foreach (var line in lines.Skip(1))
        {
            var row = new JsonObject();
            var fields = line.Split('\t');
            for (var i = 0; i < header.Length; i++) row[header[i]] = fields[i];
            yield return row;
        }
    }

    public ValueTask<long?> CountAsync(CancellationToken cancellationToken) => ValueTask.FromResult<long?>(null);
}

/// <summary>Only the format: the base spools, writes to .tmp and moves.</summary>
internal sealed class TsvRowSink(string path) : FileRowSink(path, "tsv")
{
    protected override bool NeedsCompleteSchema => true;

    protected override async Task WriteFileAsync(Stream file, IAsyncEnumerable<JsonObject> rows, RowSchema? schema, RowSinkContext context, CancellationToken cancellationToken)
    {
        await using var writer = new StreamWriter(file) { NewLine = "\n" };
        await writer.WriteLineAsync(string.Join('\t', schema!.Names));
        await foreach (var row in rows.WithCancellation(cancellationToken))
        {
            await writer.WriteLineAsync(string.Join('\t', schema.Names.Select(n => JsonNodeRead.Text(row[n]))));
        }
    }
}
