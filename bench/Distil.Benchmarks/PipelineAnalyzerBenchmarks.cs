using System.Collections.Immutable;
using BenchmarkDotNet.Attributes;
using Distil.Generators;
using Distil.Generators.Pipelines;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;

namespace Distil.Benchmarks;

/// <summary>
/// What the pipeline analyzer adds to a build: a file of 50 pipeline chains (typed loaders, tasks,
/// renames, keeps, maps, branches joined) beside two tasks, compiled with and without the analyzer
/// on a fresh clone of the compilation each time (no semantic model reused).
/// </summary>
[MemoryDiagnoser]
public class PipelineAnalyzerBenchmarks
{
    private const int Chains = 50;
    private static readonly CSharpParseOptions ParseOptions = new(LanguageVersion.Latest);
    private Compilation _compilation = null!;

    [GlobalSetup]
    public void Setup()
    {
        var references = ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!)
            .Split(Path.PathSeparator)
            .Where(p => p.EndsWith(".dll", StringComparison.OrdinalIgnoreCase))
            .Select(p => MetadataReference.CreateFromFile(p));
        var trees = new[] { Tasks, Recipes(), "global using System; global using System.Collections.Generic; global using System.Linq;" }
            .Select((source, i) => CSharpSyntaxTree.ParseText(source, ParseOptions, $"File{i}.cs"));
        var compilation = CSharpCompilation.Create("Bench", trees, references,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable));
        // The tasks' members, as the generator writes them in a build.
        CSharpGeneratorDriver.Create([new TaskGenerator().AsSourceGenerator()], parseOptions: ParseOptions)
            .RunGeneratorsAndUpdateCompilation(compilation, out _compilation, out _);
        var errors = _compilation.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error).ToList();
        if (errors.Count > 0) throw new InvalidOperationException("The benchmark's code does not compile: " + string.Join("; ", errors.Take(3)));
        var found = WithAnalyzer().Count(d => d.Id == "DISTIL016");
        if (found != Chains) throw new InvalidOperationException($"Expected one DISTIL016 per chain ({Chains}), got {found}.");
    }

    [Benchmark(Baseline = true, Description = "compile, no analyzer")]
    public int Compile() => _compilation.Clone().GetDiagnostics().Length;

    [Benchmark(Description = "compile + pipeline analyzer")]
    public int CompileWithAnalyzer() => WithAnalyzer().Length;

    // For scale: any analyzer that looks at method bodies' operations pays for building them; this
    // one registers the same action as the pipeline analyzer and does nothing in it.
    [Benchmark(Description = "floor: compile + an operation-block analyzer that does nothing")]
    public int CompileWithEmptyAnalyzer() => WithFloor(new FloorAnalyzer(watchOperations: true));

    // The analyzer driver's own cost: an analyzer that registers nothing at all.
    [Benchmark(Description = "floor: compile + an analyzer that registers nothing")]
    public int CompileWithIdleAnalyzer() => WithFloor(new FloorAnalyzer(watchOperations: false));

    private int WithFloor(DiagnosticAnalyzer floor) =>
        _compilation.Clone().WithAnalyzers([floor]).GetAllDiagnosticsAsync().GetAwaiter().GetResult().Length;

    // Handed to WithAnalyzers directly, never loaded by a compiler: no [DiagnosticAnalyzer], no release tracking.
#pragma warning disable RS1001 // see above
    private sealed class FloorAnalyzer(bool watchOperations) : DiagnosticAnalyzer
#pragma warning restore RS1001
    {
#pragma warning disable RS2008 // a rule that never fires, in a benchmark
        private static readonly DiagnosticDescriptor Never = new("BENCH001", "never", "never", "Bench", DiagnosticSeverity.Hidden, true);
#pragma warning restore RS2008

        public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics => [Never];

        public override void Initialize(AnalysisContext context)
        {
            context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
            context.EnableConcurrentExecution();
            if (watchOperations) context.RegisterCompilationStartAction(start => start.RegisterOperationBlockAction(_ => { }));
        }
    }

    private ImmutableArray<Diagnostic> WithAnalyzer() =>
        _compilation.Clone().WithAnalyzers([new PipelineAnalyzer()]).GetAllDiagnosticsAsync().GetAwaiter().GetResult();

    private const string Tasks = """
        using Distil;
        namespace Bench;

        public sealed record Question(string Instruction, string? Topic = null);

        [Task("answer")]
        [UserPrompt("{{ instruction }}")]
        public sealed partial class Answer : LlmTask<Answer.Input, Answer.Output>
        {
            public sealed record Input(string Instruction);
            public sealed record Output(string Generation);
        }

        [Task("judge")]
        [UserPrompt("{{ instruction }}{{ for r in responses }} {{ r }}{{ end }}")]
        public sealed partial class Judge : LlmTask<Judge.Input, Judge.Output>
        {
            public sealed record Input(string Instruction, IReadOnlyList<string> Responses);
            public sealed record Output(IReadOnlyList<int?> Scores);
        }
        """;

    // Each chain: branches in locals joined by GroupColumns, a rename, a judge, a keep with one typo.
    private static string Recipes() => $$"""
        using Distil.Pipelines;
        namespace Bench;

        public static class Recipes
        {
        {{string.Concat(Enumerable.Range(0, Chains).Select(i => $$"""
            public static void Recipe{{i}}(Pipeline pipeline, IRowSource source)
            {
                var questions = pipeline.Load<Question>(source).Filter(r => r["topic"] is not null, reads: ["topic"]);
                var first = questions.Then(new Answer { Name = "first{{i}}" });
                var second = questions.Then(new Answer { Name = "second{{i}}" });
                pipeline.GroupColumns(["generation"], ["answers"], first, second)
                    .RenameColumns(new Dictionary<string, string> { ["answers"] = "responses" })
                    .Then(new Judge())
                    .Map(r => r, reads: ["scores"], writes: ["best"])
                    .KeepColumns("instruction", "responses", "scores", "bset")
                    .Write("out{{i}}.jsonl");
            }

        """))}}
        }
        """;
}
