using System.Text.Json.Nodes;
using Distil.Pipelines;

namespace Distil;

/// <summary>
/// One setting of a typed step (a <see cref="StepAttribute"/> class), by its snake_case name: a
/// public settable property of the class. The generator writes the list
/// (<see cref="ITypedStep.StepSettings"/>), so a pipeline file's <c>params</c> set them and a
/// step's signature reads them without reflection. A step's settings all affect its rows: a
/// changed value makes a resumed run compute the step again.
/// </summary>
public sealed class StepSetting
{
    private readonly Func<PipelineStep, object?> _get;
    private readonly Action<PipelineStep, JsonNode?>? _set;

    private StepSetting(string name, string propertyName, string typeName, string? description,
        Func<PipelineStep, object?> get, Action<PipelineStep, JsonNode?>? set)
    {
        Name = name;
        PropertyName = propertyName;
        TypeName = typeName;
        Description = description;
        _get = get;
        _set = set;
    }

    /// <summary>The setting's name: the property's name in snake_case (<c>MaxLength</c> → <c>max_length</c>).</summary>
    public string Name { get; }

    /// <summary>The C# property behind it.</summary>
    public string PropertyName { get; }

    /// <summary>Its C# type, as declared (<c>int</c>, <c>string?</c>, <c>IReadOnlyList&lt;string&gt;</c>).</summary>
    public string TypeName { get; }

    /// <summary>From <c>[Description]</c> on the property, if any.</summary>
    public string? Description { get; }

    /// <summary>Whether it can be set by name: a public setter (or <c>init</c>) of a type a JSON value can be read into.</summary>
    public bool CanSet => _set is not null;

    /// <summary>The setting's value on <paramref name="step"/>.</summary>
    public object? GetValue(PipelineStep step) => _get(step ?? throw new ArgumentNullException(nameof(step)));

    /// <summary>Sets it on <paramref name="step"/> from a JSON value (<c>0.7</c>, <c>"lower"</c>, <c>["a", "b"]</c>).</summary>
    /// <exception cref="InvalidOperationException">The setting cannot be set by name (see <see cref="CanSet"/>).</exception>
    /// <exception cref="FormatException">The value is not of the setting's type; the message says what was expected.</exception>
    /// <exception cref="ArgumentException">The step refuses the value (its setter's own check).</exception>
    public void SetValue(PipelineStep step, JsonNode? value)
    {
        ArgumentNullException.ThrowIfNull(step);
        if (_set is null) throw new InvalidOperationException($"'{Name}' ({TypeName}) cannot be set by name; set {PropertyName} in code.");
        _set(step, value);
    }

    /// <summary>
    /// A setting of <typeparamref name="TStep"/> (for generated code). <paramref name="read"/> turns
    /// a JSON value into the property's type (see <see cref="SettingValues"/>); null with
    /// <paramref name="set"/> null for a setting that can be read but not set by name.
    /// </summary>
    public static StepSetting Create<TStep, TValue>(
        string name, string propertyName, string typeName, string? description,
        Func<TStep, TValue> get, Action<TStep, TValue>? set, Func<JsonNode?, TValue>? read)
        where TStep : PipelineStep
    {
        ArgumentNullException.ThrowIfNull(get);
        Action<PipelineStep, JsonNode?>? setter = set is null || read is null ? null : (step, value) => set((TStep)step, read(value));
        return new StepSetting(name, propertyName, typeName, description, step => get((TStep)step), setter);
    }

    /// <inheritdoc/>
    public override string ToString() => $"{Name} ({TypeName})";
}
