namespace Distil.Pipelines;

/// <summary>
/// The <see cref="SampledColumnGroupKind"/>s a <c>sample</c> (<see cref="RowSources.Sample(System.Text.Json.Nodes.JsonObject)"/>,
/// the <c>sample</c> kind of pipeline files) may name. Empty until a package registers one: Distil.Personas
/// registers <c>people</c> when it loads, and the <c>distil</c> command loads it before reading a file.
/// </summary>
public static class SampledColumnGroupKinds
{
    private static readonly object Gate = new();
    private static readonly List<SampledColumnGroupKind> Kinds = [];

    /// <summary>Every registered kind, in the order registered.</summary>
    public static IReadOnlyList<SampledColumnGroupKind> All
    {
        get
        {
            lock (Gate) return [.. Kinds];
        }
    }

    /// <summary>The kind whose key is <paramref name="name"/>, or null.</summary>
    public static SampledColumnGroupKind? Find(string name)
    {
        lock (Gate) return Kinds.FirstOrDefault(k => k.Key.Name == name);
    }

    /// <summary>Adds <paramref name="kind"/>, or replaces the kind with its key (registering twice is harmless).</summary>
    /// <exception cref="ArgumentException">Its key is one of the sample's own: rows, seed, columns.</exception>
    public static void Register(SampledColumnGroupKind kind)
    {
        ArgumentNullException.ThrowIfNull(kind);
        if (kind.Key.Name is "rows" or "seed" or "columns")
            throw new ArgumentException($"'{kind.Key.Name}' is a sample's own key; name the group kind otherwise.", nameof(kind));
        lock (Gate)
        {
            Kinds.RemoveAll(k => k.Key.Name == kind.Key.Name);
            Kinds.Add(kind);
        }
    }
}
