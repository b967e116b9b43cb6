using Distil.Mapping;
using System.Text.Json;
using System.Text.Json.Nodes;
using Spectre.Console;

namespace Distil.Cli;

/// <summary>Rows as a terminal table: the first columns that fit the width, long values cut short, the rest named below.</summary>
internal static class RowTable
{
    private const int ColumnWidth = 24;
    private const int MaxValue = 160;

    public static void Print(IAnsiConsole console, string title, IReadOnlyList<JsonObject> rows)
    {
        var names = rows.SelectMany(r => r.Select(c => c.Key)).Distinct(StringComparer.Ordinal).ToList();
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

    private static string Cut(JsonNode? value)
    {
        var text = JsonNodeRead.Text(value) ?? "null";
        return text.Length <= MaxValue ? text : text[..(MaxValue - 1)] + "…";
    }
}
