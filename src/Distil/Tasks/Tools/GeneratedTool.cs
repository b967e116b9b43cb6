using System.ComponentModel;
using System.Text.Json;
using Microsoft.Extensions.AI;

namespace Distil;

/// <summary>
/// A tool written by the generator for a <see cref="ToolAttribute"/> method: its name, description
/// and parameter schema are constants of the build, and its invocation reads the arguments with
/// <see cref="ToolArguments"/> and calls the method directly, without reflection (NativeAOT-safe).
/// Also usable by hand for a tool whose schema is known: pass the schema's JSON and a delegate.
/// </summary>
/// <example>
/// <code>
/// var add = new GeneratedTool("add", "Adds two integers.",
///     GeneratedTool.ParseSchema("""{"type":"object","properties":{"a":{"type":"integer"},"b":{"type":"integer"}},"required":["a","b"]}"""),
///     (arguments, _) => new ValueTask&lt;object?&gt;(ToolArguments.Int32(ToolArguments.Required(arguments, "a"), "a") + ToolArguments.Int32(ToolArguments.Required(arguments, "b"), "b")));
/// </code>
/// </example>
public sealed class GeneratedTool : AIFunction
{
    private readonly Func<AIFunctionArguments, CancellationToken, ValueTask<object?>> _invoke;

    /// <summary>A tool named <paramref name="name"/> that runs <paramref name="invoke"/>.</summary>
    /// <param name="name">The tool's name, as the model calls it.</param>
    /// <param name="description">What the tool does, as the model reads it.</param>
    /// <param name="schema">The JSON schema of its arguments (an object schema).</param>
    /// <param name="invoke">Reads the arguments and runs the tool; cancelled when the call times out.</param>
    public GeneratedTool(string name, string description, JsonElement schema, Func<AIFunctionArguments, CancellationToken, ValueTask<object?>> invoke)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        Name = name;
        Description = description ?? "";
        JsonSchema = schema;
        _invoke = invoke ?? throw new ArgumentNullException(nameof(invoke));
    }

    /// <inheritdoc/>
    public override string Name { get; }

    /// <inheritdoc/>
    public override string Description { get; }

    /// <inheritdoc/>
    public override JsonElement JsonSchema { get; }

    /// <summary>Parses a schema written as JSON text (what generated code holds as a constant).</summary>
    [EditorBrowsable(EditorBrowsableState.Advanced)]
    public static JsonElement ParseSchema(string json)
    {
        using var document = JsonDocument.Parse(json);
        return document.RootElement.Clone();
    }

    /// <inheritdoc/>
    protected override ValueTask<object?> InvokeCoreAsync(AIFunctionArguments arguments, CancellationToken cancellationToken) =>
        _invoke(arguments, cancellationToken);
}
