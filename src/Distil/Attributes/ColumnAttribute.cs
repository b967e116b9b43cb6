namespace Distil;

/// <summary>
/// Overrides the column name of an input or output record property. Without it the column is
/// the snake_case of the property name (<c>MaxWords</c> becomes <c>max_words</c>).
/// </summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Parameter, AllowMultiple = false, Inherited = false)]
public sealed class ColumnAttribute : Attribute
{
    /// <summary>Maps the property to the column <paramref name="name"/>.</summary>
    public ColumnAttribute(string name) => Name = name;

    /// <summary>The column name.</summary>
    public string Name { get; }
}
