using System.Text.Json.Nodes;

namespace Distil.Pipelines;

/// <summary>
/// Which row columns a task step reads and writes under other names: <see cref="Inputs"/> maps a
/// task input to the column it reads it from (<c>instruction</c> ← <c>question</c>), and
/// <see cref="Outputs"/> a task output to the column it is written to (<c>generation</c> →
/// <c>answer</c>). The rows keep their own column names; only the task sees its own.
/// </summary>
public sealed record ColumnMappings
{
    /// <summary>Task input → the row column it is read from.</summary>
    public IReadOnlyDictionary<string, string> Inputs { get; init; } = new Dictionary<string, string>();

    /// <summary>Task output → the row column it is written to.</summary>
    public IReadOnlyDictionary<string, string> Outputs { get; init; } = new Dictionary<string, string>();

    internal bool IsEmpty => Inputs.Count == 0 && Outputs.Count == 0;

    /// <summary>Checks the mappings against <paramref name="task"/>'s inputs and outputs.</summary>
    /// <exception cref="ArgumentException">A mapping names an input or output the task does not have (with the closest one), or two map to one column.</exception>
    public void Check(LlmTask task)
    {
        ArgumentNullException.ThrowIfNull(task);
        foreach (var (input, _) in Inputs)
        {
            if (!task.Inputs.Contains(input))
                throw new ArgumentException($"Task '{task.Name}' has no input '{input}' to map; its inputs are {string.Join(", ", task.Inputs)}.{Hint(input, task.Inputs)}");
        }
        foreach (var (output, _) in Outputs)
        {
            if (!task.Outputs.Contains(output))
                throw new ArgumentException($"Task '{task.Name}' has no output '{output}' to map; its outputs are {string.Join(", ", task.Outputs)}.{Hint(output, task.Outputs)}");
        }
        foreach (var twice in Inputs.Values.Concat(Outputs.Values).GroupBy(c => c, StringComparer.Ordinal).Where(g => g.Count() > 1))
            throw new ArgumentException($"Task '{task.Name}' maps two of its columns to '{twice.Key}'.");
    }

    private static string Hint(string name, IEnumerable<string> candidates) =>
        DidYouMean.Closest(name, candidates) is { } close ? $" Did you mean '{close}'?" : "";

    internal string Signature() =>
        string.Join(",", Inputs.OrderBy(m => m.Key, StringComparer.Ordinal).Select(m => $"{m.Key}<{m.Value}")) + "|" +
        string.Join(",", Outputs.OrderBy(m => m.Key, StringComparer.Ordinal).Select(m => $"{m.Key}>{m.Value}"));

    // The row as the task sees it: mapped columns under the task's names; a column that already
    // bears such a name is set aside and put back afterwards. The row itself is not changed: the
    // view and the set-aside columns hold copies.
    internal (JsonObject View, List<KeyValuePair<string, JsonNode?>> SetAside) In(JsonObject row)
    {
        var byColumn = Inputs.ToDictionary(m => m.Value, m => m.Key, StringComparer.Ordinal);
        var view = new JsonObject();
        var aside = new List<KeyValuePair<string, JsonNode?>>();
        foreach (var (name, value) in row)
        {
            if (byColumn.TryGetValue(name, out var input)) view[input] = value?.DeepClone();
            else if (Inputs.ContainsKey(name)) aside.Add(KeyValuePair.Create(name, value?.DeepClone()));
            else view[name] = value?.DeepClone();
        }
        return (view, aside);
    }

    /// <summary>The row column a column of the task's output row lands in (an input it echoes, an output, or the same name).</summary>
    // Rule: the same renaming as Out, for those that describe the rows (run log, report) without a row.
    internal string RowColumn(string taskColumn) =>
        Inputs.TryGetValue(taskColumn, out var column) ? column : Outputs.TryGetValue(taskColumn, out var target) ? target : taskColumn;

    // The task's output row under the rows' names.
    internal JsonObject Out(JsonObject output, IReadOnlyList<KeyValuePair<string, JsonNode?>> aside)
    {
        var row = new JsonObject();
        foreach (var (name, value) in output.ToList())
        {
            output.Remove(name);
            row[RowColumn(name)] = value;
        }
        foreach (var (name, value) in aside) row[name] = value?.DeepClone();
        return row;
    }

    internal RowSchema RenameIn(RowSchema schema)
    {
        var byColumn = Inputs.ToDictionary(m => m.Value, m => m.Key, StringComparer.Ordinal);
        return new RowSchema(schema.Where(c => byColumn.ContainsKey(c.Name) || !Inputs.ContainsKey(c.Name))
            .Select(c => byColumn.TryGetValue(c.Name, out var input) ? c with { Name = input } : c));
    }

    internal RowSchema RenameOut(RowSchema schema, RowSchema before) =>
        new RowSchema(schema.Select(c => Inputs.TryGetValue(c.Name, out var column) ? c with { Name = column } : Outputs.TryGetValue(c.Name, out var target) ? c with { Name = target } : c))
            .With(before.Where(c => Inputs.ContainsKey(c.Name)));
}
