using Microsoft.CodeAnalysis;

namespace Distil.Generators.Model;

/// <summary>A diagnostic to report, as plain values (see <see cref="LocationInfo"/>).</summary>
internal sealed record DiagnosticInfo(string Id, LocationInfo? Location, EquatableArray<string> Arguments)
{
    public static DiagnosticInfo Create(DiagnosticDescriptor descriptor, LocationInfo? location, params string[] arguments) =>
        new(descriptor.Id, location, arguments.ToEquatableArray());

    /// <summary>
    /// The diagnostic, at a location in its syntax tree when the compilation has one of that path
    /// (so that <c>#pragma warning disable</c> applies); else (a template file) at the file's path.
    /// </summary>
    public Diagnostic ToDiagnostic(System.Collections.Generic.IReadOnlyDictionary<string, SyntaxTree> trees) =>
        Diagnostic.Create(
            Diagnostics.DiagnosticDescriptors.ById(Id),
            Location is null ? Microsoft.CodeAnalysis.Location.None
                : trees.TryGetValue(Location.FilePath, out var tree) && Location.Span.End <= tree.Length
                    ? Microsoft.CodeAnalysis.Location.Create(tree, Location.Span)
                    : Location.ToLocation(),
            [.. Arguments]);
}
