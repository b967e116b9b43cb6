namespace Distil.Pipelines;

/// <summary>
/// On a parameter of a step kind's fluent extension method: the parameter's value (given, or its
/// default) names a column the step adds, of type <see cref="Type"/> (<c>string</c>,
/// <c>list&lt;object&gt;</c>…), so the pipeline analyzer knows it for the steps after.
/// <code>
/// public static StepHandle FormatSft(this StepHandle step, ..., [WritesColumn("list&lt;object&gt;")] string output = "messages", ...)
/// </code>
/// </summary>
/// <param name="type">The column's type in the analyzer's words (see <see cref="ReadsColumnAttribute.Type"/>).</param>
[AttributeUsage(AttributeTargets.Parameter)]
public sealed class WritesColumnAttribute(string type) : Attribute
{
    /// <summary>The column's type in the analyzer's words.</summary>
    public string Type { get; } = type;
}
