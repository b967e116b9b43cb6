using System.Collections.Immutable;
using Distil.Generators.Pipelines;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;

namespace Distil.Generators.Tests.Support;

/// <summary>
/// Runs the generator (so that tasks have their members) and then the pipeline analyzer over the
/// result, as a build does. The code must compile: a test cannot pass on code the compiler refuses.
/// </summary>
internal static class AnalyzerHarness
{
    public static ImmutableArray<Diagnostic> Run(string source)
    {
        var generated = GeneratorHarness.Run(source);
        Assert.True(generated.CompilationErrors.IsEmpty, "The test code does not compile: " + string.Join("; ", generated.CompilationErrors));
        var analyzers = generated.OutputCompilation.WithAnalyzers([new PipelineAnalyzer()]);
        return analyzers.GetAnalyzerDiagnosticsAsync().GetAwaiter().GetResult()
            .Where(d => d.Id is "DISTIL016" or "DISTIL017" or "DISTIL018")
            .OrderBy(d => d.Location.SourceSpan.Start)
            .ToImmutableArray();
    }
}
