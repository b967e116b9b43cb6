using System;
using System.Collections.Immutable;
using System.IO;
using System.Linq;
using Distil.Generators.Incremental;
using Distil.Generators.Model;
using Microsoft.CodeAnalysis;

namespace Distil.Generators;

/// <summary>
/// Writes, for every <c>[Task]</c> class, its prompt formatting, output parsing, JSON schema and
/// row mapping, and for every <c>[Step]</c> class its row mapping, columns and signature (<see cref="Steps.StepGeneration"/>). This file only wires the incremental pipeline: reading a class is in
/// <see cref="Parser"/>, resolving and compiling its templates in <see cref="Resolver"/>, writing
/// code in <see cref="Emitter"/>.
/// </summary>
[Generator(LanguageNames.CSharp)]
public sealed partial class TaskGenerator : IIncrementalGenerator
{
    /// <summary>The generator's version: in the <c>[GeneratedCode]</c> of what it writes, and in each task's source hash.</summary>
    internal const string GeneratorVersion = "0.2.0";

    public void Initialize(IncrementalGeneratorInitializationContext context)
    {
        // Roslyn runs the transform of ForAttributeWithMetadataName for every [Task] class on every
        // compilation (any edit may change symbols). So the transform only notes where the class is;
        // the read is a step of its own, which stays cached while nothing it read has changed: an
        // edit to one task among 1,000 reads one task again (DeclarationSite says when).
        var classes = context.SyntaxProvider
            .ForAttributeWithMetadataName(
                Parser.TaskAttribute,
                predicate: static (node, _) => node is Microsoft.CodeAnalysis.CSharp.Syntax.TypeDeclarationSyntax,
                transform: static (found, _) => new DeclarationSite(found.TargetNode, found.SemanticModel.Compilation))
            .WithTrackingName(TrackingNames.TaskClasses);

        var declarations = classes
            .Select(Parser.Parse)
            .WithTrackingName(TrackingNames.TaskDeclarations);

        // Only template files: an edit to any other additional file leaves this step unchanged.
        var templateFiles = context.AdditionalTextsProvider
            .Where(static file => file.Path.EndsWith(".sbn", StringComparison.OrdinalIgnoreCase)
                                  || file.Path.EndsWith(".scriban", StringComparison.OrdinalIgnoreCase))
            .Select(static (file, cancellationToken) =>
                new TemplateFile(file.Path.Replace('\\', '/'), file.GetText(cancellationToken)?.ToString() ?? ""))
            .Collect()
            .Combine(context.AnalyzerConfigOptionsProvider.Select(static (options, _) =>
                options.GlobalOptions.TryGetValue("build_property.projectdir", out var directory) ? directory : ""))
            .Select(static (pair, _) => new TemplateFileSet(
                pair.Right.Replace('\\', '/'),
                pair.Left.OrderBy(f => f.Path, StringComparer.Ordinal).ToEquatableArray()))
            .WithTrackingName(TrackingNames.TemplateFiles);

        // Each task with only the template files it names: editing one template resolves one task again.
        var tasks = declarations
            .Combine(templateFiles)
            .Select(static (pair, _) => (Task: pair.Left, Files: Resolver.FilesOf(pair.Left, pair.Right)))
            .WithTrackingName(TrackingNames.TaskTemplateFiles);

        var resolved = tasks
            .Select(static (pair, cancellationToken) => Resolver.Resolve(pair.Task, pair.Files, cancellationToken))
            .WithTrackingName(TrackingNames.TaskSpecs);

        // The code sees no source positions: a task moved in its file (a line inserted above it) is
        // not written again.
        var code = resolved
            .Select(static (result, _) => result.Spec is { Mode: not EmitMode.Nothing } spec ? spec.WithoutPositions() : null)
            .WithTrackingName(TrackingNames.TaskCode);

        context.RegisterSourceOutput(code, static (production, spec) =>
        {
            if (spec is not null) production.AddSource(Emitter.HintName(spec.Declaration), Emitter.Emit(spec));
        });

        // Diagnostics travel apart from the code, so that reporting them never breaks caching of the
        // output. They are reported at locations in the compilation's own syntax trees, so that
        // #pragma warning disable and [SuppressMessage] apply to them as to the compiler's own.
        var diagnostics = resolved
            .Select(static (result, _) => result.Diagnostics)
            .WithTrackingName(TrackingNames.Diagnostics);

        // Only tasks with something to say, gathered once per compilation: the trees are looked up
        // once, not once per task.
        var reported = diagnostics.Where(static items => items.Count > 0).Collect();
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

        // [Step] classes: the same parts (record shapes, settings, row mapping), their own pipeline.
        Steps.StepGeneration.Register(context);

        // [Tool] methods of task classes: each tool's name, description, schema and invocation.
        Tools.ToolGeneration.Register(context);

        // File formats of referenced packages ([assembly: RowFileFormat]): registered by a module initializer.
        Files.FileFormatGeneration.Register(context);
    }
}
