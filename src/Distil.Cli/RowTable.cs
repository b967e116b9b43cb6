using Distil.Mapping;
using System.Text.Json.Nodes;
using Spectre.Console;

namespace Distil.Cli;

/// <summary>
/// Rows as a terminal table: the columns the pipeline made first (what a preview is for), then the
/// input columns, the metadata column last; as many as fit the width, long values cut short, the
/// rest named below.
/// </summary>
internal static class RowTable
{
    private const int ColumnWidth = 24;

    // About four lines of a column: enough to judge an answer, short enough that a row fits the screen.
    private const int MaxValue = 4 * ColumnWidth;

    /// <summary>Prints <paramref name="rows"/>; a column not in <paramref name="inputs"/> is one the pipeline made, and comes first.</summary>
    public static void Print(IAnsiConsole console, string title, IReadOnlyList<JsonObject> rows, IReadOnlySet<string> inputs)
    {
        var names = Order(rows.SelectMany(r => r.Select(c => c.Key)).Distinct(StringComparer.Ordinal), inputs);
        var width = console.Profile.Width > 0 ? console.Profile.Width : 80;
        var shown = Math.Clamp((width - 4) / ColumnWidth, 1, names.Count == 0 ? 1 : names.Count);
        var table = new Table { Title = new TableTitle(Markup.Escape($"{title}: {rows.Count:N0} rows")), Expand = true };
        foreach (var name in names.Take(shown)) table.AddColumn(new TableColumn(Markup.Escape(name)));
        if (names.Count == 0) table.AddColumn("(no columns)");
        foreach (var row in rows)
        {
            table.AddRow(names.Take(shown).Select(name => (Spectre.Console.Rendering.IRenderable)new Text(Cut(row[name]))).ToArray());
        }
        console.Write(table);
        if (names.Count > shown) console.WriteLine($"Not shown ({names.Count - shown} columns): {string.Join(", ", names.Skip(shown))}.");
    }

    // Made columns in the order the pipeline added them, then the inputs in the source's order, the
    // metadata (raw outputs, errors, token counts) last: it is long and rarely what a preview is read for.
    private static List<string> Order(IEnumerable<string> names, IReadOnlySet<string> inputs)
    {
        var all = names.ToList();
        static bool IsMetadata(string name) => name == LlmTask.DefaultMetadataColumn;
        return all.Where(n => !inputs.Contains(n) && !IsMetadata(n))
            .Concat(all.Where(n => inputs.Contains(n) && !IsMetadata(n)))
            .Concat(all.Where(IsMetadata))
            .ToList();
    }

    // One line of text (line breaks shown as spaces, so a cell's height is its length), cut short with an ellipsis.
    private static string Cut(JsonNode? value)
    {
        var text = string.Join(' ', (JsonNodeRead.Text(value) ?? "null").Split(['\r', '\n', '\t'], StringSplitOptions.RemoveEmptyEntries)).Trim();
        return text.Length <= MaxValue ? text : text[..(MaxValue - 1)] + "…";
    }
}
