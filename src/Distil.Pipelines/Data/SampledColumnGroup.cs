using System.Text.Json.Nodes;

namespace Distil.Pipelines;

/// <summary>
/// Columns of a <see cref="SampleSource"/> drawn together, because their values belong together: a person's
/// sex, first name and handle (the Distil.Personas package's <c>PersonSampler</c>). A package derives from it;
/// a <see cref="SampledColumn"/> draws one value, this draws a whole part of the row.
/// </summary>
/// <example>
/// <code>
/// var source = RowSources.Sample(500, seed: 7,
///     new Dictionary&lt;string, SampledColumn&gt; { ["topic"] = SampledColumn.Category("tax", "travel") },
///     new Dictionary&lt;string, SampledColumnGroup&gt; { ["people"] = new PersonSampler() });
/// </code>
/// </example>
public abstract class SampledColumnGroup
{
    /// <summary>The columns it writes, with their types (they join the sample's declared schema).</summary>
    public abstract IReadOnlyList<Column> Columns { get; }

    /// <summary>What it draws, with every setting (part of the run's signature: change a setting, and the rows are drawn again).</summary>
    public abstract string Describe();

    /// <summary>
    /// Writes its <see cref="Columns"/> into <paramref name="row"/>, drawn from <paramref name="seed"/> alone: the
    /// sample gives each row its own seed, so the same seed must give the same values.
    /// </summary>
    public abstract void Draw(int seed, JsonObject row);
}
