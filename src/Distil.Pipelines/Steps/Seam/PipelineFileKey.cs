namespace Distil.Pipelines;

/// <summary>
/// One key of a pipeline file: its name, the JSON types its value may have (<c>string</c>,
/// <c>integer</c>, <c>number</c>, <c>boolean</c>, <c>array</c>, <c>object</c>), what it means, and
/// for an object the keys it holds. The strict reader refuses a key no kind declares, and
/// <c>distil schema</c> writes the same keys as a JSON Schema.
/// </summary>
/// <param name="Name">The key as written in the file (<c>prompt</c>).</param>
/// <param name="Types">The JSON types its value may have.</param>
/// <param name="Description">What it means, for <c>distil schema</c> and editors.</param>
/// <param name="Holds">For an object: the keys it holds (or free names, <see cref="PipelineFileShape.Keys"/> null).</param>
public sealed record PipelineFileKey(string Name, IReadOnlyList<string> Types, string Description, PipelineFileShape? Holds = null)
{
    /// <summary>A key whose value is a string.</summary>
    public static PipelineFileKey Text(string name, string description) => new(name, ["string"], description);

    /// <summary>A key whose value is a whole number.</summary>
    public static PipelineFileKey WholeNumber(string name, string description) => new(name, ["integer"], description);

    /// <summary>A key whose value is a number.</summary>
    public static PipelineFileKey Number(string name, string description) => new(name, ["number"], description);

    /// <summary>A key whose value is true or false.</summary>
    public static PipelineFileKey Flag(string name, string description) => new(name, ["boolean"], description);

    /// <summary>A key whose value is a list of strings.</summary>
    public static PipelineFileKey List(string name, string description) => new(name, ["array"], description);

    /// <summary>A key whose value is an object of free names (a map of columns), each read by the step.</summary>
    public static PipelineFileKey Map(string name, string description) => new(name, ["object"], description, new PipelineFileShape($"\"{name}\"", null));

    /// <summary>A key whose value is an object holding only <paramref name="keys"/> (a step kind's options).</summary>
    public static PipelineFileKey Options(string name, string description, params PipelineFileKey[] keys) =>
        new(name, ["object"], description, new PipelineFileShape($"\"{name}\"", keys));
}
