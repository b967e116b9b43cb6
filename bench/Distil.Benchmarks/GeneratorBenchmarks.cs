using BenchmarkDotNet.Attributes;
using Distil.Generators;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace Distil.Benchmarks;

/// <summary>
/// The generator over a project of N task classes, one file each: a cold run, and the run after
/// an edit to one task's template when the driver has already run (what an IDE does on a keystroke).
/// </summary>
[MemoryDiagnoser]
public class GeneratorBenchmarks
{
    private static readonly CSharpParseOptions ParseOptions = new(LanguageVersion.Latest);

    private CSharpCompilation _compilation = null!;
    private CSharpCompilation _edited = null!;
    private GeneratorDriver _warm = null!;

    [Params(100, 1000)]
    public int Tasks { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        (_compilation, _edited) = Compilations(Tasks);
        _warm = NewDriver().RunGenerators(_compilation);
        _warmFloor = NewDriver(new AttributeLookupOnly()).RunGenerators(_compilation);
        // One file per task; the file-format registration (Distil.Csv is among the references) is not a task's.
        var generated = _warm.GetRunResult().GeneratedTrees.Count(t => !t.FilePath.EndsWith("Distil.FileFormats.g.cs", StringComparison.Ordinal));
        if (generated != Tasks) throw new InvalidOperationException($"Expected {Tasks} generated files, got {generated}.");
    }

    /// <summary>A project of <paramref name="tasks"/> task classes, and the same with one task's template edited.</summary>
    internal static (CSharpCompilation Original, CSharpCompilation Edited) Compilations(int tasks)
    {
        var references = ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!)
            .Split(Path.PathSeparator)
            .Where(p => p.EndsWith(".dll", StringComparison.OrdinalIgnoreCase))
            .Select(p => MetadataReference.CreateFromFile(p));
        var trees = Enumerable.Range(0, tasks).Select(i => Tree(TaskSource(i, "Summarise"), i)).ToList();
        trees.Add(CSharpSyntaxTree.ParseText("global using System; global using System.Collections.Generic;", ParseOptions, "Usings.cs"));
        var compilation = CSharpCompilation.Create("Bench", trees, references,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable));
        return (compilation, compilation.ReplaceSyntaxTree(trees[tasks / 2], Tree(TaskSource(tasks / 2, "Condense"), tasks / 2)));
    }

    [Benchmark(Description = "cold run")]
    public GeneratorDriver Cold() => NewDriver().RunGenerators(_compilation.Clone());

    [Benchmark(Description = "after editing one task")]
    public GeneratorDriver EditOneTask() => _warm.RunGenerators(_edited.Clone());

    // For scale: what Roslyn's ForAttributeWithMetadataName itself costs on the same compilations,
    // with a transform that does nothing. Its semantic step runs for every [Task] class on every
    // new compilation, so this is the floor of any edit.
    [Benchmark(Description = "floor: attribute lookup only, cold")]
    public GeneratorDriver FloorCold() => NewDriver(new AttributeLookupOnly()).RunGenerators(_compilation.Clone());

    [Benchmark(Description = "floor: attribute lookup only, after edit")]
    public GeneratorDriver FloorEdit() => _warmFloor.RunGenerators(_edited.Clone());

    private GeneratorDriver _warmFloor = null!;

    internal static GeneratorDriver NewDriver(IIncrementalGenerator? generator = null) =>
        CSharpGeneratorDriver.Create([(generator ?? new TaskGenerator()).AsSourceGenerator()], parseOptions: ParseOptions);

    internal sealed class AttributeLookupOnly : IIncrementalGenerator
    {
        public void Initialize(IncrementalGeneratorInitializationContext context)
        {
            var names = context.SyntaxProvider.ForAttributeWithMetadataName(
                "Distil.TaskAttribute", static (_, _) => true, static (task, _) => task.TargetSymbol.Name);
            context.RegisterSourceOutput(names, static (_, _) => { });
        }
    }

    private static SyntaxTree Tree(string source, int i) => CSharpSyntaxTree.ParseText(source, ParseOptions, $"Task{i}.cs");

    private static string TaskSource(int i, string verb) => $$$""""
        using Distil;
        namespace Bench.Tasks{{{i % 10}}};

        [Task("task_{{{i}}}")]
        [SystemPrompt("You are assistant number {{{i}}}.")]
        [UserPrompt("""
        {{{verb}}} {{ title }} in {{ max_words }} words:
        {{ for point in key_points }}{{ for.index + 1 }}. {{ point | string.strip }}
        {{ end }}{{ if note }}Note: {{ note }}{{ end }}
        """)]
        public sealed partial class Task{{{i}}} : LlmTask<Task{{{i}}}.Input, Task{{{i}}}.Output>
        {
            public sealed record Input(string Title, int MaxWords, IReadOnlyList<string> KeyPoints, string? Note);
            public sealed record Output(string Summary, int WordCount, IReadOnlyList<string> Keywords);
        }
        """";
}
