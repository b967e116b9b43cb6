using System;
using Distil.Generators.Incremental;
using Distil.Generators.Model;
using Microsoft.CodeAnalysis;

namespace Distil.Generators.Steps;

/// <summary>
/// The incremental pipeline of <c>[Step]</c> classes, wired into the Distil generator beside the
/// tasks': parse each class, write its code from a position-free declaration, report its
/// diagnostics apart (as the task path does, so that reporting never breaks caching).
/// </summary>
internal static class StepGeneration
{
    public static void Register(IncrementalGeneratorInitializationContext context)
    {
        // As for tasks: the lookup notes where each class is, and reading it is a step of its own,
        // cached while nothing it read has changed.
        var declarations = context.SyntaxProvider
            .ForAttributeWithMetadataName(
                StepParser.StepAttribute,
                predicate: static (node, _) => node is Microsoft.CodeAnalysis.CSharp.Syntax.TypeDeclarationSyntax,
                transform: static (found, _) => new DeclarationSite(found.TargetNode, found.SemanticModel.Compilation))
            .WithTrackingName(TrackingNames.StepClasses)
            .Select(StepParser.Parse)
            .WithTrackingName(TrackingNames.StepDeclarations);

        // The code sees no positions and the declaration's hash, not its text: a step moved in its
        // file, or with a comment edited, is not written again.
        var code = declarations
            .Select(static (step, _) => step.Mode == EmitMode.Members ? step.ForCode(TaskGenerator.GeneratorVersion) : null)
            .WithTrackingName(TrackingNames.StepCode);

        context.RegisterSourceOutput(code, static (production, step) =>
        {
            if (step is not null) production.AddSource(StepEmitter.HintName(step), StepEmitter.Emit(step));
        });

        var reported = declarations
            .Select(static (step, _) => step.Diagnostics)
            .WithTrackingName(TrackingNames.StepDiagnostics)
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
