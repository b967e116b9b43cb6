using System;
using System.Linq;
using Distil.Generators.Model;
using Microsoft.CodeAnalysis;

namespace Distil.Generators.Tools;

/// <summary>
/// The incremental pipeline of <c>[Tool]</c> methods, wired into the Distil generator beside the
/// tasks' and steps': read each method, gather a class's methods into one file, report the
/// diagnostics apart (so that reporting never breaks caching).
/// </summary>
internal static class ToolGeneration
{
    public static void Register(IncrementalGeneratorInitializationContext context)
    {
        var methods = context.SyntaxProvider
            .ForAttributeWithMetadataName(
                ToolParser.ToolAttribute,
                predicate: static (node, _) => node is Microsoft.CodeAnalysis.CSharp.Syntax.MethodDeclarationSyntax,
                transform: ToolParser.Parse)
            .WithTrackingName(TrackingNames.ToolMethods);

        // One file per class, its tools in declaration order (the order the model sees them in).
        var classes = methods
            .Where(static result => result.Spec is not null)
            .Select(static (result, _) => result.Spec!)
            .Collect()
            .SelectMany(static (specs, _) => specs
                .GroupBy(spec => spec.ClassFullName, StringComparer.Ordinal)
                .Select(group => new ToolClassSpec(
                    group.Key, group.First().Namespace, group.First().ClassName, group.First().ContainingTypes, group.ToEquatableArray())))
            .WithTrackingName(TrackingNames.ToolClasses);

        context.RegisterSourceOutput(classes, static (production, tools) =>
            production.AddSource(ToolEmitter.HintName(tools), ToolEmitter.Emit(tools)));

        var reported = methods
            .Select(static (result, _) => result.Diagnostics)
            .WithTrackingName(TrackingNames.ToolDiagnostics)
            .Where(static items => items.Count > 0)
            .Collect();
        context.RegisterSourceOutput(reported.Combine(context.CompilationProvider), static (production, pair) =>
        {
            if (pair.Left.IsEmpty) return;
            var trees = new System.Collections.Generic.Dictionary<string, SyntaxTree>(StringComparer.Ordinal);
            foreach (var tree in pair.Right.SyntaxTrees) if (!trees.ContainsKey(tree.FilePath)) trees.Add(tree.FilePath, tree);
            foreach (var items in pair.Left)
            {
                foreach (var diagnostic in items) production.ReportDiagnostic(diagnostic.ToDiagnostic(trees));
            }
        });
    }
}
