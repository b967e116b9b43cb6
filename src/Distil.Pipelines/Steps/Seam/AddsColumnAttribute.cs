namespace Distil.Pipelines;

/// <summary>
/// On a step kind's fluent extension method: the step adds the column <see cref="Name"/> of type
/// <see cref="Type"/> whatever its arguments (one attribute per column, in order), so the pipeline
/// analyzer knows it for the steps after.
/// <code>
/// [AddsColumn("chosen", "string")]
/// [AddsColumn("chosen_rating", "number", ItemTypeOf = "ratings")]
/// public static StepHandle FormatDpo(this StepHandle step, ..., [ReadsColumn] string ratings = "ratings", ...)
/// </code>
/// </summary>
/// <param name="name">The column the step adds.</param>
/// <param name="type">Its type in the analyzer's words (see <see cref="ReadsColumnAttribute.Type"/>).</param>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = true)]
public sealed class AddsColumnAttribute(string name, string type) : Attribute
{
    /// <summary>The column the step adds.</summary>
    public string Name { get; } = name;

    /// <summary>Its type in the analyzer's words.</summary>
    public string Type { get; } = type;

    /// <summary>
    /// A parameter naming a list column: when that column is known to be a list of items of a type
    /// that fits <see cref="Type"/> (integers for <c>number</c>), the added column has the items' type.
    /// </summary>
    public string? ItemTypeOf { get; set; }
}
