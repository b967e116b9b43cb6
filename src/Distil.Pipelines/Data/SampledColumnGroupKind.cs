using System.Text.Json.Nodes;

namespace Distil.Pipelines;

/// <summary>
/// A key a <c>sample</c> of a pipeline file may hold besides <c>rows</c>, <c>seed</c> and <c>columns</c>, naming a
/// <see cref="SampledColumnGroup"/> and its settings: <c>"sample": {"rows": 100, "people": {"locales": ["de"]}}</c>.
/// A package registers its kind with <see cref="SampledColumnGroupKinds.Register"/> (Distil.Personas adds <c>people</c>).
/// </summary>
public abstract class SampledColumnGroupKind
{
    /// <summary>The key in the <c>sample</c> object, with the keys of its settings (the reader and <c>distil schema</c> check them).</summary>
    public abstract PipelineFileKey Key { get; }

    /// <summary>The group <paramref name="settings"/> describe.</summary>
    /// <exception cref="FormatException">A setting is wrong; the message names it.</exception>
    public abstract SampledColumnGroup Read(JsonObject settings);
}
