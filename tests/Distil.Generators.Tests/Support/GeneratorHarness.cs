using System.Collections;
using System.Collections.Immutable;
using System.Reflection;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace Distil.Generators.Tests.Support;

/// <summary>The result of running the Distil generator over a compilation.</summary>
internal sealed record GeneratorRun(
    Compilation OutputCompilation,
    ImmutableArray<Diagnostic> GeneratorDiagnostics,
    ImmutableArray<Diagnostic> CompilationErrors,
    IReadOnlyDictionary<string, string> GeneratedSources)
{
    /// <summary>The generated sources, in hint-name order, as one text for a snapshot.</summary>
    public string AllSources => string.Join("\n", GeneratedSources.OrderBy(s => s.Key, StringComparer.Ordinal)
        .Select(s => $"//--- {s.Key}\n{s.Value}"));
}

/// <summary>
/// Runs the generator the way the compiler does, and on every run also runs it a second time on
/// a clone of the compilation, failing unless every tracked step is cached and no step output
/// holds a symbol, syntax node or location (which would defeat caching).
/// </summary>
internal static class GeneratorHarness
{
    private static readonly CSharpParseOptions ParseOptions = new(LanguageVersion.Latest);

    private static readonly Lazy<ImmutableArray<MetadataReference>> References = new(() =>
        ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!)
            .Split(Path.PathSeparator)
            .Where(p => p.EndsWith(".dll", StringComparison.OrdinalIgnoreCase))
            .Select(p => (MetadataReference)MetadataReference.CreateFromFile(p))
            .ToImmutableArray());

    // What <ImplicitUsings> gives a user's project.
    private const string ImplicitUsings = """
        global using System;
        global using System.Collections.Generic;
        global using System.Linq;
        global using System.Threading.Tasks;
        """;

    public static CSharpCompilation Compilation(params string[] sources) =>
        CSharpCompilation.Create(
            "UserProject",
            sources.Select((s, i) => CSharpSyntaxTree.ParseText(s, ParseOptions, path: $"Task{i}.cs"))
                .Append(CSharpSyntaxTree.ParseText(ImplicitUsings, ParseOptions, path: "GlobalUsings.cs")),
            References.Value,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable));

    public static GeneratorDriver Driver(params AdditionalText[] additionalTexts) =>
        CSharpGeneratorDriver.Create(
            [new TaskGenerator().AsSourceGenerator(), new Distil.Generators.Rows.RowMapperGenerator().AsSourceGenerator()],
            additionalTexts,
            ParseOptions,
            driverOptions: new GeneratorDriverOptions(IncrementalGeneratorOutputKind.None, trackIncrementalGeneratorSteps: true));

    public static GeneratorRun Run(string source, params AdditionalText[] additionalTexts) =>
        Run(Compilation(source), additionalTexts);

    public static GeneratorRun Run(Compilation compilation, params AdditionalText[] additionalTexts)
    {
        var driver = Driver(additionalTexts).RunGeneratorsAndUpdateCompilation(compilation, out var output, out var diagnostics);
        AssertCachedOnSecondRun(driver, compilation);

        var result = driver.GetRunResult();
        var sources = result.Results.SelectMany(r => r.GeneratedSources)
            .ToDictionary(s => s.HintName, s => s.SourceText.ToString());
        var errors = output.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error).ToImmutableArray();
        return new GeneratorRun(output, diagnostics, errors, sources);
    }

    /// <summary>Runs the driver again on a clone of the compilation: every tracked step must be cached.</summary>
    public static void AssertCachedOnSecondRun(GeneratorDriver driver, Compilation compilation)
    {
        var second = driver.RunGenerators(compilation.Clone()).GetRunResult();
        foreach (var (name, steps) in second.Results.SelectMany(r => r.TrackedSteps).Where(s => IsDistilStep(s.Key)))
        {
            foreach (var step in steps)
            {
                foreach (var (value, reason) in step.Outputs)
                {
                    Assert.True(reason is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged,
                        $"Step '{name}' ran again with reason {reason} on an identical compilation.");
                    AssertHoldsNoCompilerObjects(value, name, []);
                }
            }
        }
    }

    public static bool IsDistilStep(string name) =>
        typeof(TaskGenerator).Assembly.GetType("Distil.Generators.TrackingNames")!
            .GetFields(BindingFlags.Public | BindingFlags.Static | BindingFlags.NonPublic)
            .Any(f => (string?)f.GetValue(null) == name);

    // Walks the model's object graph: a symbol, syntax node or location there would make every
    // run's model unequal to the last one, and keep whole compilations alive.
    private static void AssertHoldsNoCompilerObjects(object? value, string step, HashSet<object> seen)
    {
        if (value is null || value is string || value.GetType().IsPrimitive || value.GetType().IsEnum) return;
        // The attribute lookup's step holds the class's node, and the trees its reading depended on,
        // on purpose: an unchanged tree is the same object in the next compilation, which is how the
        // reading is skipped. It holds the compilation only weakly, and no later step holds any of these.
        if (value is Incremental.DeclarationSite) return;
        if (!value.GetType().IsValueType && !seen.Add(value)) return;
        Assert.False(value is ISymbol or SyntaxNode or Location or Microsoft.CodeAnalysis.Compilation or SemanticModel,
            $"Step '{step}' holds a {value.GetType().Name}; models must hold only plain values.");
        if (value is IEnumerable items)
        {
            foreach (var item in items) AssertHoldsNoCompilerObjects(item, step, seen);
            return;
        }
        if (value.GetType().Namespace?.StartsWith("Microsoft.CodeAnalysis.Text", StringComparison.Ordinal) == true) return;
        foreach (var property in value.GetType().GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            if (property.GetIndexParameters().Length > 0) continue;
            AssertHoldsNoCompilerObjects(property.GetValue(value), step, seen);
        }
    }
}
