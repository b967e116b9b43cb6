using System.Text.Json.Nodes;
using Microsoft.Extensions.AI;

namespace Distil;

/// <summary>
/// Turns the generations of one input row into output rows: the input row's columns, the output
/// columns, <c>model_name</c> and the metadata column.
/// </summary>
internal sealed class OutputRows<TOutput>(
    string taskName,
    string metadataColumn,
    bool addRawOutput,
    bool addRawInput,
    bool reasks,
    Action<TOutput?, JsonObject> writeOutput)
    where TOutput : class
{
    private const string ModelNameColumn = LlmTask.ModelNameColumn;

    private readonly TaskMetadata _metadata = new(taskName, addRawOutput, addRawInput, reasks);

    /// <summary>The column that gets each generation's tool trajectory (a task with tools); null: none.</summary>
    public string? TrajectoryColumn { get; init; }

    // Rule: GroupGenerations = false gives one output row per generation, each a copy of the input row.
    public IReadOnlyList<JsonObject> OnePerGeneration(
        JsonObject input, IReadOnlyList<Generation<TOutput>> generations, string? modelName, TOutput? unreadable)
    {
        var rows = new JsonObject[generations.Count];
        for (var i = 0; i < rows.Length; i++)
        {
            var row = (JsonObject)input.DeepClone();
            writeOutput(Written(generations[i], unreadable), row);
            if (TrajectoryColumn is not null) row[TrajectoryColumn] = ToolTrajectory.Column(generations[i].Trajectory);
            row[ModelNameColumn] = modelName;
            row[metadataColumn] = _metadata.For(generations[i], Upstream(input));
            rows[i] = row;
        }
        return rows;
    }

    // Rule: GroupGenerations = true gives one output row whose output columns and metadata are
    // lists with one item per generation, in generation order.
    public JsonObject Grouped(
        JsonObject input, IReadOnlyList<Generation<TOutput>> generations, string? modelName, TOutput? unreadable)
    {
        var row = (JsonObject)input.DeepClone();
        var columns = new Dictionary<string, JsonArray>(StringComparer.Ordinal);
        var metadata = new JsonArray();
        foreach (var generation in generations)
        {
            var scratch = new JsonObject();
            writeOutput(Written(generation, unreadable), scratch);
            foreach (var (column, value) in scratch.ToArray())
            {
                scratch.Remove(column);
                if (!columns.TryGetValue(column, out var list)) columns[column] = list = [];
                list.Add(value);
            }
            metadata.Add((JsonNode?)_metadata.For(generation, Upstream(input)));
        }
        foreach (var (column, list) in columns) row[column] = list;
        // Rule: grouped, the trajectory column is a list with one trajectory per generation.
        if (TrajectoryColumn is not null) row[TrajectoryColumn] = new JsonArray([.. generations.Select(g => (JsonNode?)ToolTrajectory.Column(g.Trajectory))]);
        row[ModelNameColumn] = modelName;
        row[metadataColumn] = metadata;
        return row;
    }

    // Rule: an answer without output is written in the task's unreadable shape (distilabel's
    // format_output of an unreadable answer); a failed call's outputs are all null (distilabel's imputation).
    private static TOutput? Written(Generation<TOutput> generation, TOutput? unreadable) =>
        generation.Output ?? (generation.Failed ? null : unreadable);

    // Metadata written by earlier steps is kept, and this task's keys are added beside it.
    private JsonObject? Upstream(JsonObject input) =>
        input.TryGetPropertyValue(metadataColumn, out var existing) && existing is JsonObject upstream
            ? upstream
            : null;
}
