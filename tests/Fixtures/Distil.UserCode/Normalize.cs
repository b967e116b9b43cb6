using System.Text.Json.Nodes;
using Distil;
using Distil.Pipelines;
using Distil.UserCode.Helpers;

namespace Distil.UserCode;

/// <summary>A step of the user's own, written by hand on the public row-step base: cleans a text column.</summary>
[Step("normalize")]
public sealed class Normalize(string name) : RowStep(name)
{
    /// <summary>The column to read.</summary>
    public string Column { get; set; } = "text";

    /// <summary>Whether to upper-case the text too.</summary>
    public bool Shout { get; set; }

    /// <summary>Texts longer than this are cut.</summary>
    public int MaxLength { get; set; } = 1000;

    /// <inheritdoc />
    public override string Kind => "normalize";

    /// <inheritdoc />
    public override IReadOnlyList<string> RequiredColumns => [Column];

    /// <inheritdoc />
    public override RowSchema? SchemaAfter(IReadOnlyList<RowSchema?> parents) =>
        parents[0]?.With([new Column("clean_text", ColumnType.String), new Column("length", ColumnType.Integer)]);

    /// <inheritdoc />
    public override string Settings() => $"{Column}|{Shout}|{MaxLength}";

    /// <inheritdoc />
    protected override IReadOnlyList<JsonObject> Apply(JsonObject row)
    {
        var text = Text.Squash((string?)row[Column] ?? "");
        if (text.Length > MaxLength) text = text[..MaxLength];
        if (Shout) text = text.ToUpperInvariant();
        row["clean_text"] = text;
        row["length"] = text.Length;
        return [row];
    }
}
