using System.Text.Json.Nodes;

namespace Distil.Pipelines;

/// <summary>
/// The row a conditional task step passes on for a row that did not pass its condition: the input
/// row, the task's output columns and <c>model_name</c> null, and the reason under
/// <c>skipped_&lt;task&gt;</c> in the metadata column.
/// </summary>
internal static class SkippedRows
{
    /// <summary>The metadata key that says why a row was not asked.</summary>
    public static string Key(LlmTask task) => "skipped_" + task.Name;

    // Rule: a skipped row is one row (no generation was made), whatever NumGenerations says; its
    // outputs are null (a grouped task's lists too) and the metadata keeps what earlier tasks wrote.
    public static JsonObject Row(LlmTask task, IReadOnlyList<string> outputColumns, JsonObject input, RowCondition condition)
    {
        var row = (JsonObject)input.DeepClone();
        foreach (var column in outputColumns) row[column] = null;
        row[LlmTask.ModelNameColumn] = null;
        var metadata = row[task.MetadataColumn] is JsonObject upstream ? (JsonObject)upstream.DeepClone() : new JsonObject();
        metadata[Key(task)] = $"the row did not pass the step's condition: {condition.Description}";
        // A grouped task's metadata is a list with one object per generation: the skipped row has one.
        row[task.MetadataColumn] = task.GroupGenerations ? new JsonArray(metadata) : metadata;
        return row;
    }

    /// <summary>The task's columns after it, with <c>skipped_&lt;task&gt;</c> (a string) among its metadata keys.</summary>
    public static RowSchema SchemaAfter(LlmTask task, RowSchema after)
    {
        if (after.Find(task.MetadataColumn) is not { } column) return after;
        var key = new Column(Key(task), ColumnType.String);
        var type = column.Type.Kind == ColumnKind.List && column.Type.Element is { Kind: ColumnKind.Struct } item
            ? ColumnType.ListOf(ColumnType.StructOf(new RowSchema(item.Fields).With([key])))
            : column.Type.Kind == ColumnKind.Struct ? ColumnType.StructOf(new RowSchema(column.Type.Fields).With([key])) : column.Type;
        return after.With([column with { Type = type }]);
    }
}
