namespace Distil;

/// <summary>
/// On an output list: it has exactly as many items as the input property named
/// <paramref name="inputProperty"/> (one score per response). The generator writes the check of
/// every answer and, with structured output, a per-row JSON schema (<c>minItems</c> =
/// <c>maxItems</c> = n) and grammar, so that a constrained decoder writes the right count.
/// </summary>
/// <param name="inputProperty">The input record's list property, as <c>nameof(Input.Responses)</c>.</param>
/// <example>
/// <code>
/// public sealed record Output([property: SameCountAs(nameof(Input.Responses)), Range(1, 6)] IReadOnlyList&lt;double?&gt; Scores);
/// </code>
/// </example>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Parameter, AllowMultiple = false)]
public sealed class SameCountAsAttribute(string inputProperty) : Attribute
{
    /// <summary>The input record's list property the count follows.</summary>
    public string InputProperty { get; } = inputProperty;
}

/// <summary>
/// On an output text (or list of texts): each value is one of the values of the input property
/// named <paramref name="inputProperty"/> (a label from the row's own label set). The generator
/// writes the check of every answer and, with structured output, a per-row <c>enum</c> in the
/// JSON schema and alternatives in the grammar. A row whose list is empty is not constrained.
/// </summary>
/// <param name="inputProperty">The input record's list-of-text property, as <c>nameof(Input.Labels)</c>.</param>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Parameter, AllowMultiple = false)]
public sealed class OneOfAttribute(string inputProperty) : Attribute
{
    /// <summary>The input record's property that holds the allowed values.</summary>
    public string InputProperty { get; } = inputProperty;
}
