namespace Distil;

/// <summary>
/// A Scriban prompt template, given inline or as a file. Template variables are the input
/// columns of the task and its <see cref="TemplateParameterAttribute"/> properties.
/// </summary>
public abstract class PromptAttribute : Attribute
{
    /// <summary>Declares a prompt whose template is in a file (see <see cref="File"/>).</summary>
    protected PromptAttribute() { }

    /// <summary>Declares a prompt with an inline template.</summary>
    /// <param name="template">The Scriban template text.</param>
    protected PromptAttribute(string template) => Template = template;

    /// <summary>The inline template text, or null when the template is in <see cref="File"/>.</summary>
    public string? Template { get; }

    /// <summary>
    /// The path of a template file relative to the project, e.g. <c>Prompts/judge.sbn</c>. The
    /// file must be an <c>AdditionalFiles</c> item; the Distil package adds <c>Prompts/**/*.sbn</c>.
    /// </summary>
    public string? File { get; set; }
}

/// <summary>The system message of a task's prompt.</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false, Inherited = false)]
public sealed class SystemPromptAttribute : PromptAttribute
{
    /// <summary>Declares a system prompt read from <see cref="PromptAttribute.File"/>.</summary>
    public SystemPromptAttribute() { }

    /// <summary>Declares an inline system prompt template.</summary>
    public SystemPromptAttribute(string template) : base(template) { }
}

/// <summary>The user message of a task's prompt.</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false, Inherited = false)]
public sealed class UserPromptAttribute : PromptAttribute
{
    /// <summary>Declares a user prompt read from <see cref="PromptAttribute.File"/>.</summary>
    public UserPromptAttribute() { }

    /// <summary>Declares an inline user prompt template.</summary>
    public UserPromptAttribute(string template) : base(template) { }
}
