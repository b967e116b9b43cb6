using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Distil.Pipelines;

/// <summary>
/// Rows kept in a temporary JSON Lines file while the types of the columns the schema does not know
/// (written by a <c>Map</c>, or everything when there is no schema) are found over every row; the
/// typed file is then written from the spool. Disk, not memory, holds the rows. A seam for sinks that need every
/// column's type before they write (<see cref="FileRowSink"/> uses it; so does the Hugging Face folder sink).
/// </summary>
public sealed class RowSpool : IAsyncDisposable
{
    private readonly string _path;

    private RowSpool(string path, RowSchema schema)
    {
        _path = path;
        Schema = schema;
    }

    /// <summary>The known schema, completed: every column any row has, unknown types found from the values.</summary>
    public RowSchema Schema { get; }

    /// <summary>Whether <paramref name="schema"/> already says all there is to say, so rows can be written as they come.</summary>
    public static bool IsComplete(RowSchema? schema) => schema is { Count: > 0 } && schema.All(c => !HasUnknown(c.Type));

    /// <summary>Spools <paramref name="rows"/> to <paramref name="path"/>, widening the types of what <paramref name="known"/> leaves open.</summary>
    public static async Task<RowSpool> CreateAsync(IAsyncEnumerable<JsonObject> rows, RowSchema? known, string path, CancellationToken cancellationToken)
    {
        var types = new Dictionary<string, ColumnType>(StringComparer.Ordinal);
        var order = new List<Column>();
        foreach (var column in known ?? RowSchema.Empty)
        {
            types[column.Name] = column.Type;
            order.Add(column);
        }
        var open = new HashSet<string>(order.Where(c => HasUnknown(c.Type)).Select(c => c.Name), StringComparer.Ordinal);
        try
        {
            await using (var writer = new StreamWriter(path, append: false, new UTF8Encoding(false), 1 << 16))
            {
                await foreach (var row in rows.WithCancellation(cancellationToken).ConfigureAwait(false))
                {
                    foreach (var (name, value) in row)
                    {
                        if (!types.ContainsKey(name))
                        {
                            types[name] = ColumnType.Unknown;
                            order.Add(new Column(name, ColumnType.Unknown));
                            open.Add(name);
                        }
                        if (open.Contains(name)) types[name] = SchemaWidening.Widen(types[name], SchemaWidening.Of(value)) ?? ColumnType.Json;
                    }
                    await writer.WriteLineAsync(row.ToJsonString().AsMemory(), cancellationToken).ConfigureAwait(false);
                }
            }
        }
        catch
        {
            // Rows that stop coming (an error, a cancelled run) leave no spool behind.
            File.Delete(path);
            throw;
        }
        // A column null in every row has no type to find: it is written as text.
        var schema = new RowSchema(order.Select(c => c with { Type = Settle(types[c.Name]) }));
        return new RowSpool(path, schema);
    }

    /// <summary>The spooled rows, in order.</summary>
    public async IAsyncEnumerable<JsonObject> ReadAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        using var reader = new StreamReader(_path, Encoding.UTF8);
        while (await reader.ReadLineAsync(cancellationToken).ConfigureAwait(false) is { } line)
        {
            yield return JsonNode.Parse(line)!.AsObject();
        }
    }

    /// <summary>Deletes the spool file.</summary>
    public ValueTask DisposeAsync()
    {
        File.Delete(_path);
        return ValueTask.CompletedTask;
    }

    private static bool HasUnknown(ColumnType type) => type.Kind switch
    {
        ColumnKind.Unknown => true,
        ColumnKind.List => HasUnknown(type.Element!),
        ColumnKind.Struct => type.Fields.Any(f => HasUnknown(f.Type)),
        _ => false,
    };

    private static ColumnType Settle(ColumnType type) => type.Kind switch
    {
        ColumnKind.Unknown => ColumnType.String,
        ColumnKind.List => ColumnType.ListOf(Settle(type.Element!)),
        ColumnKind.Struct => ColumnType.StructOf(type.Fields.Select(f => f with { Type = Settle(f.Type) })),
        _ => type,
    };
}
