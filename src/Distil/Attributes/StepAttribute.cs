namespace Distil;

/// <summary>
/// Marks a <c>partial</c> class as a pipeline step of the user's own, with the name a pipeline file
/// and <c>distil run --assembly</c> know it by. The Distil generator writes what the step needs to
/// be typed like a built-in one: the mapping of its rows to and from its records, its columns, and
/// the signature a resumed run compares.
/// </summary>
/// <example>
/// <code>
/// [Step("normalize")]
/// public sealed partial class Normalize : Step&lt;Normalize.Input, Normalize.Output&gt;
/// {
///     public sealed record Input(string Text);
///     public sealed record Output(string CleanText, int Length);
///     public override Output Process(Input input) => new(input.Text.Trim(), input.Text.Trim().Length);
/// }
/// </code>
/// </example>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false, Inherited = false)]
public sealed class StepAttribute : Attribute
{
    /// <summary>Declares a step with its default name.</summary>
    /// <param name="name">The snake_case name of the step: its default step name, and its name in pipeline files.</param>
    public StepAttribute(string name) => Name = name;

    /// <summary>The default name of the step, and its name in pipeline files.</summary>
    public string Name { get; }
}
