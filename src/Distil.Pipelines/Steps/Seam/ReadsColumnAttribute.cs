namespace Distil.Pipelines;

/// <summary>
/// On a parameter of a step kind's fluent extension method: the parameter's value (given, or its
/// default) names a column the step reads. The pipeline analyzer then reports DISTIL016 at the
/// argument when no earlier step writes that column, and DISTIL017 when <see cref="Type"/> is
/// given and the column is written as another type.
/// <code>
/// public static StepHandle Shout(this StepHandle step, [ReadsColumn(Type = "string")] string column = "text", string? name = null)
/// </code>
/// </summary>
[AttributeUsage(AttributeTargets.Parameter)]
public sealed class ReadsColumnAttribute : Attribute
{
    /// <summary>
    /// The type the step reads the column as, in the analyzer's words: <c>string</c>, <c>integer</c>,
    /// <c>number</c>, <c>boolean</c>, <c>object</c>, <c>list&lt;string&gt;</c>…; null for any type.
    /// </summary>
    public string? Type { get; set; }
}
