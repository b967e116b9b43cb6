using System.Collections.Generic;
using System.Linq;
using System.Threading;
using Distil.Generators.Diagnostics;
using Distil.Generators.Incremental;
using Distil.Generators.Model;
using Distil.Generators.Parsing;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace Distil.Generators.Steps;

/// <summary>
/// Reads a <c>[Step]</c> class into a <see cref="StepDeclaration"/>: its typed base, its records
/// (with the task path's <see cref="TypeShapeReader"/>), its settings and its declaration text.
/// Like the task parser it runs for every step that changed (<see cref="DeclarationSite"/>), and for
/// every step in a cold build, so it binds only what it must.
/// </summary>
internal static class StepParser
{
    public const string StepAttribute = "Distil.StepAttribute";

    /// <summary>
    /// Reads the class the attribute lookup found, and records on <paramref name="site"/> what the
    /// reading depended on, so that the next compilation reads it again only if one of those changed.
    /// </summary>
    public static StepDeclaration Parse(DeclarationSite site, CancellationToken cancellationToken)
    {
        var syntax = (TypeDeclarationSyntax)site.Node;
        var compilation = site.Compilation;
        var type = compilation.GetSemanticModel(syntax.SyntaxTree).GetDeclaredSymbol(syntax, cancellationToken)!;
        var dependencies = new SourceDependencies();
        var declaration = Parse(type, syntax, compilation, dependencies, cancellationToken);
        site.Read(dependencies);
        return declaration;
    }

    private static StepDeclaration Parse(
        INamedTypeSymbol type, TypeDeclarationSyntax syntax, Compilation compilation, SourceDependencies dependencies,
        CancellationToken cancellationToken)
    {
        var diagnostics = new List<DiagnosticInfo>();
        var attributes = type.GetAttributes();
        dependencies.AddType(type);
        foreach (var attribute in attributes) dependencies.AddType(attribute.AttributeClass);
        var stepName = KnownTypes.WrittenOn(syntax, attributes, "Distil", "StepAttribute")?.ConstructorArguments.FirstOrDefault().Value as string
                       ?? ColumnNames.SnakeCase(type.Name);
        var declaration = new StepDeclaration
        {
            StepName = stepName,
            ClassName = type.Name,
            FullName = type.ToDisplayString(),
            Namespace = type.ContainingNamespace.IsGlobalNamespace ? "" : type.ContainingNamespace.ToDisplayString(),
            Mode = EmitMode.Nothing,
        };

        var (stepBase, shape) = FindStepBase(type);
        // A step written by hand on the public seam (RowStep, AllRowsStep) is named by [Step] for
        // pipeline files and --assembly, and needs nothing generated.
        if (stepBase is null && DerivesFromSeam(type)) return declaration;

        var notPartial = TaskGenerator.Parser.FirstNonPartialType(type);
        if (notPartial is not null)
        {
            var location = notPartial.Equals(type, SymbolEqualityComparer.Default) ? syntax.Identifier.GetLocation() : notPartial.Locations.FirstOrDefault();
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.StepClassNotPartial, LocationInfo.From(location), notPartial.Name));
        }

        if (type.TypeKind != TypeKind.Class || type.IsRecord || stepBase is null
            || stepBase.TypeArguments.Any(t => t is not INamedTypeSymbol { TypeKind: TypeKind.Class }))
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.StepClassWithoutStepBase, LocationInfo.From(syntax.Identifier.GetLocation()), type.Name));
            return declaration with { Diagnostics = diagnostics.ToEquatableArray() };
        }

        cancellationToken.ThrowIfCancellationRequested();
        var shapes = new TypeShapeReader(diagnostics, compilation) { Dependencies = dependencies };
        var records = stepBase.TypeArguments.Cast<INamedTypeSymbol>().ToList();
        var inputType = shape == StepShape.Generator ? null : records[0];
        var outputType = records[records.Count - 1];
        // Rows hold JSON values too, so both records are read as a row's (a JsonNode property is copied as it is).
        var inputId = inputType is null ? "" : shapes.ReadRoot(inputType, isOutput: false);
        var outputId = shapes.ReadRoot(outputType, isOutput: false);
        if (inputId is null || outputId is null) return declaration with { Diagnostics = diagnostics.ToEquatableArray() };
        var objects = shapes.Objects.ToList();
        TaskGenerator.Parser.ReportDuplicateColumns(objects, diagnostics);

        var hasErrors = diagnostics.Any(d => DiagnosticDescriptors.ById(d.Id).DefaultSeverity == DiagnosticSeverity.Error);
        return declaration with
        {
            ContainingTypes = TaskGenerator.Parser.ContainingTypes(type).ToEquatableArray(),
            Shape = shape,
            InputTypeName = inputType is null ? "" : TypeShapeReader.TypeName(inputType),
            OutputTypeName = TypeShapeReader.TypeName(outputType),
            InputObjectId = inputId,
            OutputObjectId = outputId,
            Objects = objects.ToEquatableArray(),
            Settings = SettingReader.Read(type, IsDistilBase, dependencies).ToEquatableArray(),
            // A class with errors gets nothing: the compiler's "abstract member not implemented" follows the Distil error.
            Mode = notPartial is not null || hasErrors ? EmitMode.Nothing : EmitMode.Members,
            Diagnostics = diagnostics.ToEquatableArray(),
            DeclarationText = DeclarationText(type, records, dependencies),
        };
    }

    private static (INamedTypeSymbol? Base, StepShape Shape) FindStepBase(INamedTypeSymbol type)
    {
        for (var current = type.BaseType; current is not null; current = current.BaseType)
        {
            if (ShapeOf(current) is { } shape) return (current, shape);
        }
        return (null, default);
    }

    private static bool DerivesFromSeam(INamedTypeSymbol type)
    {
        for (var current = type.BaseType; current is not null; current = current.BaseType)
        {
            if (KnownTypes.Is(current, "Distil.Pipelines", "PipelineStep")) return true;
        }
        return false;
    }

    private static StepShape? ShapeOf(INamedTypeSymbol type) => type switch
    {
        { Arity: 2 } when KnownTypes.Is(type, "Distil", "Step") => StepShape.Single,
        { Arity: 2 } when KnownTypes.Is(type, "Distil", "ManyStep") => StepShape.Many,
        { Arity: 2 } when KnownTypes.Is(type, "Distil", "GlobalStep") => StepShape.Global,
        { Arity: 1 } when KnownTypes.Is(type, "Distil", "GeneratorStep") => StepShape.Generator,
        _ => null,
    };

    // Settings and declaration text stop at Distil's own bases.
    private static bool IsDistilBase(INamedTypeSymbol type) =>
        ShapeOf(type) is not null || type.SpecialType == SpecialType.System_Object
        || KnownTypes.Is(type, "Distil.Pipelines", "PipelineStep") || KnownTypes.Is(type, "Distil.Pipelines", "RowStep") || KnownTypes.Is(type, "Distil.Pipelines", "AllRowsStep");

    // The class (with its nested records) and the records it reads and makes, wherever they are
    // declared: a change to any of them changes the step's signature; the text, not its hash, so
    // hashing runs only when it changed.
    private static string DeclarationText(INamedTypeSymbol type, IEnumerable<INamedTypeSymbol> records, SourceDependencies dependencies) =>
        SettingReader.DeclarationText(type, IsDistilBase) + SettingReader.RecordsText(type, records, dependencies);
}
