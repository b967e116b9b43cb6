using System.Collections.Generic;
using Distil.Generators.Model;

namespace Distil.Generators.Templates;

/// <summary>A variable a template may read: an input column or a template parameter.</summary>
internal sealed record TemplateVariable(string Name, string Access, TypeShape Type);

/// <summary>The variables of one task's templates and the records they may reach into.</summary>
internal sealed class TemplateScope
{
    public TemplateScope(IEnumerable<TemplateVariable> variables, Mapping.ObjectLookup objects)
    {
        foreach (var variable in variables) Variables[variable.Name] = variable;
        Objects = objects;
    }

    public Dictionary<string, TemplateVariable> Variables { get; } = new(System.StringComparer.Ordinal);

    public Mapping.ObjectLookup Objects { get; }
}

/// <summary>A variable a template names that the task does not have, and where.</summary>
internal sealed record UnknownVariable(string Name, int Line, int Column, int Offset, int Length);

/// <summary>A place in a template where Scriban could not parse it.</summary>
internal sealed record TemplateError(string Message, int Line, int Column, int Offset);

/// <summary>
/// What compiling one template found: the C# that renders it (null when it is beyond the compiled
/// subset and Scriban must render it at run time), the variables it uses, and its errors.
/// </summary>
internal sealed class TemplateCompilation
{
    public string? Code { get; set; }

    public List<TemplateError> Errors { get; } = new();

    public List<UnknownVariable> UnknownVariables { get; } = new();

    public HashSet<string> UsedVariables { get; } = new(System.StringComparer.Ordinal);
}
