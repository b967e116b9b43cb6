using System.Text.Json.Nodes;

namespace Distil.Pipelines;

/// <summary>
/// A task run behind a step's <see cref="ColumnMappings"/>: the task sees its own column names,
/// the rows keep theirs. Every way a task step sends its calls (online, recorded for an offline
/// batch, replayed from one) goes through this one wrapper, so mappings apply alike to each.
/// </summary>
internal sealed class MappedTaskRun : ITaskRun
{
    private readonly ITaskRun _inner;
    private readonly ColumnMappings _mappings;

    private MappedTaskRun(ITaskRun inner, ColumnMappings mappings) => (_inner, _mappings) = (inner, mappings);

    /// <summary><paramref name="run"/> behind <paramref name="mappings"/>, or <paramref name="run"/> itself without any.</summary>
    public static ITaskRun Of(ITaskRun run, ColumnMappings? mappings) =>
        mappings is null || mappings.IsEmpty ? run : new MappedTaskRun(run, mappings);

    public LlmTask Task => _inner.Task;

    public async Task<IReadOnlyList<JsonObject>> RunRowAsync(JsonObject row, string key, long index, CancellationToken cancellationToken)
    {
        // Rule: the input row is not changed (an offline batch runs it once per round and once more
        // to read the answers), so the task's view holds copies of its values.
        var (view, aside) = _mappings.In(row);
        var outputs = await _inner.RunRowAsync(view, key, index, cancellationToken).ConfigureAwait(false);
        return outputs.Select(output => _mappings.Out(output, aside)).ToList();
    }

    public void LogSummary() => _inner.LogSummary();
}
