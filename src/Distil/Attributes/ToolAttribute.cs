namespace Distil;

/// <summary>
/// Makes a method of a task a tool its model may call. The generator writes the tool's name (the
/// snake_case of the method's name, or <see cref="Name"/>), its description (<see cref="Description"/>,
/// else the method's XML <c>summary</c>) and the JSON schema of its parameters at build time, and
/// an <c>AIFunction</c> that reads the call's arguments without reflection; the task's
/// <see cref="LlmTask.Tools"/> holds it from the start.
/// </summary>
/// <example>
/// <code>
/// /// &lt;summary&gt;Adds two integers.&lt;/summary&gt;
/// [Tool]
/// public int Add(int a, int b) => a + b;
/// </code>
/// </example>
/// <remarks>
/// Parameters may be strings, booleans, numbers, enums, <see cref="DateTime"/>/<see cref="DateTimeOffset"/>/<see cref="Guid"/>,
/// arrays or lists of those, and a trailing <see cref="CancellationToken"/> (cancelled when the call times out).
/// The method may return a value, <see cref="Task"/>, <see cref="Task{TResult}"/>, <see cref="ValueTask"/> or <see cref="ValueTask{TResult}"/>.
/// </remarks>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false, Inherited = false)]
public sealed class ToolAttribute : Attribute
{
    /// <summary>The tool's name as the model sees it; default the snake_case of the method's name, without an <c>Async</c> suffix.</summary>
    public string? Name { get; set; }

    /// <summary>What the tool does, as the model reads it; default the method's XML <c>summary</c>.</summary>
    public string? Description { get; set; }
}
