using System.Collections.Generic;
using System.Linq;
using Distil.Generators.Parsing;
using Microsoft.CodeAnalysis;

namespace Distil.Generators.Pipelines;

/// <summary>
/// What a step kind's fluent extension method declares about columns with Distil's attributes
/// (<c>Distil.Pipelines.ReadsColumnAttribute</c>, <c>WritesColumnAttribute</c>, <c>AddsColumnAttribute</c>),
/// recognised by name and namespace as the other Distil attributes are (<see cref="KnownTypes"/>).
/// </summary>
internal sealed class StepContract
{
    private const string Namespace = "Distil.Pipelines";

    private StepContract(List<(string Parameter, string? Type)> reads, List<(string Parameter, string Type)> writes, List<(string Column, string Type, string? ItemTypeOf)> adds)
    {
        Reads = reads;
        Writes = writes;
        Adds = adds;
    }

    /// <summary>Parameters naming a column the step reads, with the type it reads it as (null: any).</summary>
    public IReadOnlyList<(string Parameter, string? Type)> Reads { get; }

    /// <summary>Parameters naming a column the step adds, with its type.</summary>
    public IReadOnlyList<(string Parameter, string Type)> Writes { get; }

    /// <summary>Columns the step adds whatever its arguments, in order.</summary>
    public IReadOnlyList<(string Column, string Type, string? ItemTypeOf)> Adds { get; }

    /// <summary>The contract of <paramref name="method"/>, or null when it declares nothing (its columns are not known).</summary>
    public static StepContract? Of(IMethodSymbol method)
    {
        var reads = new List<(string, string?)>();
        var writes = new List<(string, string)>();
        var adds = new List<(string, string, string?)>();
        foreach (var parameter in method.Parameters)
        {
            foreach (var attribute in parameter.GetAttributes())
            {
                if (KnownTypes.IsAttribute(attribute, Namespace, "ReadsColumnAttribute"))
                {
                    reads.Add((parameter.Name, Named(attribute, "Type")));
                }
                else if (KnownTypes.IsAttribute(attribute, Namespace, "WritesColumnAttribute") && Argument(attribute, 0) is { } type)
                {
                    writes.Add((parameter.Name, type));
                }
            }
        }
        foreach (var attribute in method.GetAttributes())
        {
            if (KnownTypes.IsAttribute(attribute, Namespace, "AddsColumnAttribute") && Argument(attribute, 0) is { } column && Argument(attribute, 1) is { } type)
            {
                adds.Add((column, type, Named(attribute, "ItemTypeOf")));
            }
        }
        return reads.Count + writes.Count + adds.Count == 0 ? null : new StepContract(reads, writes, adds);
    }

    private static string? Argument(AttributeData attribute, int index) =>
        attribute.ConstructorArguments.Length > index ? attribute.ConstructorArguments[index].Value as string : null;

    private static string? Named(AttributeData attribute, string name) =>
        attribute.NamedArguments.FirstOrDefault(a => a.Key == name).Value.Value as string;
}
