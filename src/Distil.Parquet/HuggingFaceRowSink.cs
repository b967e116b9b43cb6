using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Distil.Pipelines;

/// <summary>
/// Writes a dataset in the Hugging Face layout, which <c>datasets.load_dataset(DIR)</c> and the Hub
/// read as they are:
/// <list type="bullet">
/// <item><c>data/train-00000-of-0000N.parquet</c>: Parquet shards of at most about
/// <see cref="MaxShardBytes"/> each, typed from the pipeline's schema;</item>
/// <item><c>README.md</c>: the dataset card, whose YAML header has <c>dataset_info</c> (the
/// features, derived from the schema, and the split's row count) and <c>configs</c>, and whose body
/// describes the pipeline: steps, tasks, models, rows, columns;</item>
/// <item><c>distil-pipeline.json</c>: the same description, for programs.</item>
/// </list>
/// Everything is written to a temporary folder first and moved into place when the run completes;
/// a stopped run leaves the previous dataset as it was.
/// </summary>
public sealed partial class HuggingFaceRowSink : IFolderRowSink
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };
    private readonly int _rowGroupSize;

    /// <summary>Writes the dataset folder <paramref name="directory"/>.</summary>
    /// <param name="directory">The dataset's folder (created; its <c>data</c>, card and description are replaced at the end).</param>
    /// <param name="maxShardBytes">About how large one Parquet shard may grow (default 500 MB, as the Hub's own conversions).</param>
    /// <param name="split">The split the rows belong to (default <c>train</c>).</param>
    /// <param name="rowGroupSize">Rows per Parquet row group; a shard is closed between row groups.</param>
    public HuggingFaceRowSink(string directory, long maxShardBytes = 500_000_000, string split = "train", int rowGroupSize = 10_000)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxShardBytes, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(rowGroupSize, 1);
        if (!SplitName().IsMatch(split)) throw new ArgumentException($"A split name is letters, digits and '_' (such as train, test, validation), not '{split}'.", nameof(split));
        Directory = Path.GetFullPath(directory);
        MaxShardBytes = maxShardBytes;
        Split = split;
        _rowGroupSize = rowGroupSize;
    }

    /// <summary>The dataset folder's full path.</summary>
    public string Directory { get; }

    /// <summary>About how many bytes one shard may hold.</summary>
    public long MaxShardBytes { get; }

    /// <summary>The split's name.</summary>
    public string Split { get; }

    /// <inheritdoc/>
    public string Describe() => $"Hugging Face dataset folder {Directory} ({Split} split)";

    /// <inheritdoc/>
    public Task WriteAsync(IAsyncEnumerable<JsonObject> rows, CancellationToken cancellationToken) =>
        WriteAsync(rows, new RowSinkContext(), cancellationToken);

    /// <inheritdoc/>
    /// <exception cref="InvalidDataException">A value its column's type cannot hold; the message names the column and the row.</exception>
    public async Task WriteAsync(IAsyncEnumerable<JsonObject> rows, RowSinkContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(rows);
        ArgumentNullException.ThrowIfNull(context);
        System.IO.Directory.CreateDirectory(Directory);
        var staging = Path.Combine(Directory, ".distil-staging");
        if (System.IO.Directory.Exists(staging)) System.IO.Directory.Delete(staging, recursive: true);
        System.IO.Directory.CreateDirectory(Path.Combine(staging, "data"));
        try
        {
            var schema = context.Schema;
            await using var spool = RowSpool.IsComplete(schema) ? null : await RowSpool.CreateAsync(rows, schema, Path.Combine(staging, "rows.spool"), cancellationToken).ConfigureAwait(false);
            if (spool is not null)
            {
                schema = spool.Schema;
                rows = spool.ReadAsync(cancellationToken);
            }
            if (schema!.Count == 0) throw new InvalidDataException($"{Directory}: no row has any column, and a dataset needs at least one.");

            var shards = await WriteShardsAsync(rows, schema, Path.Combine(staging, "data"), cancellationToken).ConfigureAwait(false);
            var names = new List<string>();
            for (var i = 0; i < shards.Count; i++)
            {
                var name = $"{Split}-{i:D5}-of-{shards.Count:D5}.parquet";
                File.Move(shards[i].Path, Path.Combine(staging, "data", name));
                names.Add(name);
            }
            var rowsWritten = shards.Sum(s => s.Rows);
            var bytes = names.Sum(n => new FileInfo(Path.Combine(staging, "data", n)).Length);
            var steps = context.Steps();
            await File.WriteAllTextAsync(Path.Combine(staging, "README.md"), Card(context.Pipeline, schema, steps, rowsWritten, bytes, names), cancellationToken).ConfigureAwait(false);
            await File.WriteAllTextAsync(Path.Combine(staging, "distil-pipeline.json"), Description(context.Pipeline, schema, steps, rowsWritten, names), cancellationToken).ConfigureAwait(false);

            // Into place: this split's old shards go, the new ones, the card and the description come.
            var data = Path.Combine(Directory, "data");
            System.IO.Directory.CreateDirectory(data);
            foreach (var old in System.IO.Directory.GetFiles(data, $"{Split}-*.parquet")) File.Delete(old);
            foreach (var name in names) File.Move(Path.Combine(staging, "data", name), Path.Combine(data, name));
            File.Move(Path.Combine(staging, "README.md"), Path.Combine(Directory, "README.md"), overwrite: true);
            File.Move(Path.Combine(staging, "distil-pipeline.json"), Path.Combine(Directory, "distil-pipeline.json"), overwrite: true);
        }
        finally
        {
            if (System.IO.Directory.Exists(staging)) System.IO.Directory.Delete(staging, recursive: true);
        }
    }

    private async Task<List<(string Path, long Rows)>> WriteShardsAsync(IAsyncEnumerable<JsonObject> rows, RowSchema schema, string folder, CancellationToken cancellationToken)
    {
        var writer = new ParquetSchemaWriter(schema, Directory);
        var shards = new List<(string Path, long Rows)>();
        FileStream? shard = null;
        long shardRows = 0, written = 0;
        var buffer = new List<JsonObject>(Math.Min(_rowGroupSize, 100_000));
        try
        {
            async Task FlushAsync()
            {
                if (shard is null)
                {
                    var path = Path.Combine(folder, $"shard-{shards.Count}.parquet");
                    shard = new FileStream(path, FileMode.Create, FileAccess.ReadWrite, FileShare.None, 1 << 16, useAsync: true);
                    shards.Add((path, 0));
                    shardRows = 0;
                }
                await writer.WriteRowGroupAsync(shard, buffer, written + 1, append: shardRows > 0, cancellationToken).ConfigureAwait(false);
                shardRows += buffer.Count;
                written += buffer.Count;
                shards[^1] = (shards[^1].Path, shardRows);
                buffer.Clear();
                // A shard closes between row groups once it is large enough.
                if (shard.Length >= MaxShardBytes)
                {
                    await shard.DisposeAsync().ConfigureAwait(false);
                    shard = null;
                }
            }

            await foreach (var row in rows.WithCancellation(cancellationToken).ConfigureAwait(false))
            {
                buffer.Add(row);
                if (buffer.Count >= _rowGroupSize) await FlushAsync().ConfigureAwait(false);
            }
            if (buffer.Count > 0 || shards.Count == 0) await FlushAsync().ConfigureAwait(false);
        }
        finally
        {
            if (shard is not null) await shard.DisposeAsync().ConfigureAwait(false);
        }
        return shards;
    }

    // The dataset card: YAML header as the Hub and `datasets` read it, then a description for people.
    private string Card(string? pipeline, RowSchema schema, IReadOnlyList<StepSummary> steps, long rows, long bytes, IReadOnlyList<string> shards)
    {
        var yaml = new StringBuilder();
        yaml.Append("---\n");
        yaml.Append("dataset_info:\n");
        yaml.Append("  features:\n");
        foreach (var column in schema) WriteFeature(yaml, column.Name, column.Type, indent: 2);
        yaml.Append("  splits:\n");
        yaml.Append("  - name: ").Append(Split).Append('\n');
        yaml.Append("    num_bytes: ").Append(bytes.ToString(CultureInfo.InvariantCulture)).Append('\n');
        yaml.Append("    num_examples: ").Append(rows.ToString(CultureInfo.InvariantCulture)).Append('\n');
        yaml.Append("  download_size: ").Append(bytes.ToString(CultureInfo.InvariantCulture)).Append('\n');
        yaml.Append("  dataset_size: ").Append(bytes.ToString(CultureInfo.InvariantCulture)).Append('\n');
        yaml.Append("configs:\n");
        yaml.Append("- config_name: default\n");
        yaml.Append("  data_files:\n");
        yaml.Append("  - split: ").Append(Split).Append('\n');
        yaml.Append("    path: data/").Append(Split).Append("-*\n");
        yaml.Append("tags:\n- synthetic\n- distil\n");
        yaml.Append("---\n\n");

        var title = pipeline ?? Path.GetFileName(Directory);
        yaml.Append("# ").Append(title).Append("\n\n");
        yaml.Append("A synthetic dataset generated with [Distil](https://www.nuget.org/packages/Distil)")
            .Append(pipeline is null ? "" : $" by the pipeline `{pipeline}`").Append(": ")
            .Append(rows.ToString("N0", CultureInfo.InvariantCulture)).Append(" rows in the `").Append(Split).Append("` split, in ")
            .Append(shards.Count).Append(shards.Count == 1 ? " Parquet file" : " Parquet files").Append(" under `data/`.\n\n");
        yaml.Append("```python\nfrom datasets import load_dataset\n\nds = load_dataset(\"path/to/this/folder\")\n```\n\n");
        if (steps.Count > 0)
        {
            yaml.Append("## How it was made\n\n");
            yaml.Append("| Step | Kind | Task | Model | Rows in | Rows out |\n|---|---|---|---|---:|---:|\n");
            foreach (var step in steps)
            {
                yaml.Append("| ").Append(Cell(step.Name)).Append(" | ").Append(Cell(step.Kind)).Append(" | ").Append(Cell(step.Task ?? ""))
                    .Append(" | ").Append(Cell(step.Model ?? "")).Append(" | ").Append(step.RowsIn.ToString("N0", CultureInfo.InvariantCulture))
                    .Append(" | ").Append(step.RowsOut.ToString("N0", CultureInfo.InvariantCulture)).Append(" |\n");
            }
            yaml.Append('\n');
            foreach (var step in steps.Where(s => s.Parameters.Count > 0 || s.Prompt.Count > 0)) WriteStepDetails(yaml, step);
        }
        yaml.Append("## Columns\n\n| Column | Type | Rules | Description |\n|---|---|---|---|\n");
        foreach (var column in schema)
        {
            yaml.Append("| `").Append(column.Name).Append("` | `").Append(Cell(column.Type.ToString())).Append("` | ")
                .Append(Cell(column.Rules?.Describe(column.Type) ?? "")).Append(" | ").Append(Cell(column.Description ?? "")).Append(" |\n");
        }
        // Rule: the card describes only columns the files hold: a metadata column a step dropped is not mentioned.
        var metadata = steps.Select(s => s.MetadataColumn).OfType<string>().Distinct(StringComparer.Ordinal).Where(schema.Contains).ToList();
        if (metadata.Count > 0)
        {
            yaml.Append("\nThe metadata ").Append(metadata.Count == 1 ? "column (" : "columns (").Append(string.Join(", ", metadata.Select(m => $"`{m}`")))
                .Append(") ").Append(metadata.Count == 1 ? "follows" : "follow").Append(" distilabel's layout: per task, the raw answer, ")
                .Append("the prompt sent, the token counts and the error of a call that failed.\n");
        }
        return yaml.ToString();
    }

    // A task step's parameters and prompt, so that a reader on the Hub can tell how its columns were made.
    private static void WriteStepDetails(StringBuilder card, StepSummary step)
    {
        card.Append("### Step `").Append(step.Name).Append("`\n\n");
        if (step.Task is not null)
        {
            card.Append("Task `").Append(step.Task).Append('`').Append(step.Model is null ? "" : $", model `{step.Model}`").Append(".\n\n");
        }
        if (step.Parameters.Count > 0)
        {
            card.Append("| Parameter | Value |\n|---|---|\n");
            foreach (var (name, value) in step.Parameters)
            {
                card.Append("| `").Append(Cell(name)).Append("` | `").Append(Cell(value)).Append("` |\n");
            }
            card.Append('\n');
        }
        if (step.Prompt.Count > 0)
        {
            card.Append("The prompt sent for each row, with each input column shown as a placeholder:\n\n");
            foreach (var message in step.Prompt)
            {
                var fence = Fence(message.Text);
                card.Append("**").Append(message.Role.Value).Append("**\n\n")
                    .Append(fence).Append("text\n").Append(message.Text.TrimEnd('\n')).Append('\n').Append(fence).Append("\n\n");
            }
        }
    }

    // A code fence longer than any run of backticks in the text, so that the text cannot close it.
    private static string Fence(string text)
    {
        int longest = 0, run = 0;
        foreach (var c in text)
        {
            run = c == '`' ? run + 1 : 0;
            longest = Math.Max(longest, run);
        }
        return new string('`', Math.Max(3, longest + 1));
    }

    // One feature in `datasets`' YAML form: a dtype, a `list:` of an item, or a `struct:` of fields.
    private static void WriteFeature(StringBuilder yaml, string name, ColumnType type, int indent)
    {
        var pad = new string(' ', indent);
        yaml.Append(pad).Append("- name: ").Append(Scalar(name)).Append('\n');
        var inner = new string(' ', indent + 2);
        switch (type.Kind)
        {
            case ColumnKind.List:
                yaml.Append(inner).Append("list:");
                WriteItem(yaml, type.Element!, indent + 2);
                break;
            case ColumnKind.Struct when type.Fields.Count > 0:
                yaml.Append(inner).Append("struct:\n");
                foreach (var field in type.Fields) WriteFeature(yaml, field.Name, field.Type, indent + 2);
                break;
            default:
                yaml.Append(inner).Append("dtype: ").Append(Dtype(type)).Append('\n');
                break;
        }
    }

    // What follows `list:` on its line: a dtype, or a block for a list of lists or of records.
    private static void WriteItem(StringBuilder yaml, ColumnType item, int indent)
    {
        switch (item.Kind)
        {
            case ColumnKind.List:
                yaml.Append('\n').Append(new string(' ', indent + 2)).Append("list:");
                WriteItem(yaml, item.Element!, indent + 2);
                break;
            case ColumnKind.Struct when item.Fields.Count > 0:
                yaml.Append('\n');
                foreach (var field in item.Fields) WriteFeature(yaml, field.Name, field.Type, indent);
                break;
            default:
                yaml.Append(' ').Append(Dtype(item)).Append('\n');
                break;
        }
    }

    /// <summary>The <c>datasets</c> value type of a scalar column (JSON and unknown columns are text).</summary>
    public static string Dtype(ColumnType type) => type.Kind switch
    {
        ColumnKind.Integer => "int64",
        ColumnKind.Number => "float64",
        ColumnKind.Boolean => "bool",
        _ => "string",
    };

    private string Description(string? pipeline, RowSchema schema, IReadOnlyList<StepSummary> steps, long rows, IReadOnlyList<string> shards)
    {
        var description = new JsonObject
        {
            ["pipeline"] = pipeline,
            ["split"] = Split,
            ["rows"] = rows,
            ["files"] = new JsonArray(shards.Select(s => (JsonNode?)("data/" + s)).ToArray()),
            ["steps"] = new JsonArray(steps.Select(s => (JsonNode?)new JsonObject
            {
                ["name"] = s.Name,
                ["kind"] = s.Kind,
                ["after"] = new JsonArray(s.Parents.Select(p => (JsonNode?)p).ToArray()),
                ["task"] = s.Task,
                ["model"] = s.Model,
                ["rows_in"] = s.RowsIn,
                ["rows_out"] = s.RowsOut,
                ["parameters"] = s.Parameters.Count == 0 ? null : new JsonObject(s.Parameters.Select(p => KeyValuePair.Create(p.Key, (JsonNode?)p.Value))),
                ["prompt"] = s.Prompt.Count == 0 ? null : new JsonArray(s.Prompt.Select(m => (JsonNode?)new JsonObject { ["role"] = m.Role.Value, ["content"] = m.Text }).ToArray()),
            }).ToArray()),
            ["columns"] = new JsonArray(schema.Select(c => (JsonNode?)new JsonObject
            {
                ["name"] = c.Name,
                ["type"] = c.Type.ToString(),
                ["rules"] = c.Rules?.Describe(c.Type),
                ["description"] = c.Description,
            }).ToArray()),
        };
        return description.ToJsonString(Indented) + "\n";
    }

    private static string Cell(string text) => text.Replace("|", "\\|", StringComparison.Ordinal).Replace('\n', ' ');

    // A YAML scalar: plain when it is a simple name, else single-quoted.
    private static string Scalar(string text) => PlainName().IsMatch(text) ? text : "'" + text.Replace("'", "''", StringComparison.Ordinal) + "'";

    [GeneratedRegex("^[A-Za-z_][A-Za-z0-9_]*$")]
    private static partial Regex PlainName();

    [GeneratedRegex("^[A-Za-z0-9_]+$")]
    private static partial Regex SplitName();
}
