namespace Distil;

/// <summary>
/// Marks a <c>partial</c> class deriving from <see cref="LlmTask{TInput,TOutput}"/> as a Distil task.
/// The Distil generator writes its prompt formatting, output parsing, JSON schema and row mapping.
/// </summary>
/// <example>
/// <code>
/// [Task("summary")]
/// [UserPrompt("Summarise {{ title }} in {{ max_words }} words.")]
/// public sealed partial class Summary : Task&lt;Summary.Input, Summary.Output&gt;
/// {
///     public sealed record Input(string Title, int MaxWords);
///     public sealed record Output(string Summary);
/// }
/// </code>
/// </example>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false, Inherited = false)]
public sealed class TaskAttribute : Attribute
{
    /// <summary>Declares a task with its default name.</summary>
    /// <param name="name">
    /// The snake_case name of the task, used in metadata keys such as <c>raw_output_&lt;name&gt;</c>.
    /// </param>
    public TaskAttribute(string name) => Name = name;

    /// <summary>The default name of the task.</summary>
    public string Name { get; }
}
