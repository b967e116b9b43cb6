namespace Distil;

/// <summary>
/// Makes a property of the task readable by its templates under the snake_case of its name,
/// e.g. <c>[TemplateParameter] public string Aspect { get; init; }</c> is <c>{{ aspect }}</c>.
/// </summary>
[AttributeUsage(AttributeTargets.Property, AllowMultiple = false, Inherited = false)]
public sealed class TemplateParameterAttribute : Attribute
{
}
