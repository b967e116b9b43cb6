using System;
using System.Collections.Immutable;
using System.IO;
using System.Linq;
using Distil.Generators.Model;
using Microsoft.CodeAnalysis;

namespace Distil.Generators;

/// <summary>
/// Writes, for every <c>[Task]</c> class, its prompt formatting, output parsing, JSON schema and
/// row mapping. This file only wires the incremental pipeline: reading a class is in
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
        var declarations = context.SyntaxProvider
            .ForAttributeWithMetadataName(
                Parser.TaskAttribute,
                predicate: static (node, _) => node is Microsoft.CodeAnalysis.CSharp.Syntax.TypeDeclarationSyntax,
                transform: Parser.Parse)
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

        var specs = declarations
            .Combine(templateFiles)
            .Select(static (pair, cancellationToken) => Resolver.Resolve(pair.Left, pair.Right, cancellationToken))
            .WithTrackingName(TrackingNames.TaskSpecs);

        // Diagnostics travel apart from the code, so that reporting them never breaks caching of the output.
        var diagnostics = specs
            .Select(static (result, _) => result.Diagnostics)
            .WithTrackingName(TrackingNames.Diagnostics);

        context.RegisterSourceOutput(diagnostics, static (production, items) =>
        {
            foreach (var diagnostic in items) production.ReportDiagnostic(diagnostic.ToDiagnostic());
        });

        context.RegisterSourceOutput(specs, static (production, result) =>
        {
            if (result.Spec is { EmitMembers: true } spec)
            {
                production.AddSource(Emitter.HintName(spec.Declaration), Emitter.Emit(spec));
            }
        });
    }
}
