using System.ComponentModel;
using Scriban;
using Scriban.Runtime;

namespace Distil.Templates;

/// <summary>
/// A Scriban template rendered at run time: the fallback for templates beyond what the generator
/// compiles, and the reference the compiled templates are tested against. Parsed once, on first
/// use; safe to render from several threads.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Advanced)]
public sealed class ScribanTemplate
{
    private readonly Lazy<Template> _template;

    /// <summary>Creates a template from its source text.</summary>
    /// <param name="text">The Scriban template.</param>
    /// <param name="sourceName">Where the template came from (a file path or the task), for errors.</param>
    public ScribanTemplate(string text, string sourceName)
    {
        ArgumentNullException.ThrowIfNull(text);
        Text = text;
        SourceName = sourceName;
        _template = new Lazy<Template>(Parse, LazyThreadSafetyMode.ExecutionAndPublication);
    }

    /// <summary>The template source.</summary>
    public string Text { get; }

    /// <summary>Where the template came from.</summary>
    public string SourceName { get; }

    /// <summary>The global variables the template reads, in order of first use (parses the template).</summary>
    /// <exception cref="InvalidOperationException">The template does not parse.</exception>
    public IReadOnlyList<string> Variables => TemplateVariables.Of(_template.Value.Page!);

    /// <summary>Renders the template with the given variables (column and parameter names).</summary>
    public string Render(params (string Name, object? Value)[] variables)
    {
        var globals = new ScriptObject();
        foreach (var (name, value) in variables) globals.SetValue(name, value, readOnly: true);

        // A fresh context per render: contexts hold per-render state and are not thread-safe.
        // Scriban's defaults, but without the iteration and output-size caps: compiled templates have
        // none, and a prompt over a long list must not fail at run time. The built-in functions are
        // shared (read-only): building them anew is most of a render's cost.
        var context = new TemplateContext(SharedBuiltins) { LoopLimit = 0, LimitToString = 0 };
        context.PushGlobal(globals);
        return _template.Value.Render(context);
    }

    // Scriban's built-in functions (string.*, array.*, math.*...), built once per process. A
    // template's own assignments go to its globals, never here; made read-only all the same, so that
    // no render can change what another one sees.
    private static readonly ScriptObject SharedBuiltins = ReadOnlyBuiltins();

    private static ScriptObject ReadOnlyBuiltins()
    {
        var builtins = TemplateContext.GetDefaultBuiltinObject();
        foreach (var value in builtins.Values)
        {
            if (value is ScriptObject functions) functions.IsReadOnly = true;
        }
        builtins.IsReadOnly = true;
        return builtins;
    }

    private Template Parse()
    {
        var template = Template.Parse(Text, SourceName);
        if (template.HasErrors)
        {
            throw new InvalidOperationException(
                $"The template '{SourceName}' does not parse: {string.Join("; ", template.Messages)}");
        }
        return template;
    }
}
