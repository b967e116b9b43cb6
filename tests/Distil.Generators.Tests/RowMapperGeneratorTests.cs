using Distil.Generators.Tests.Support;
using Distil.Testing;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace Distil.Generators.Tests;

/// <summary>
/// The row mappers written for the records a program uses with Load, Map, Filter and typed result
/// reads; the records left to the reflection fallback; and caching when unrelated code changes.
/// </summary>
public class RowMapperGeneratorTests
{
    private const string Records = """
        using System.Text.Json.Nodes;
        using Distil;
        using Distil.Pipelines;
        namespace Shop;

        public enum Level { Easy, Hard }

        public sealed record Ticket(string Text, int Priority, Level Level, [CsvList("|")] IReadOnlyList<string> Tags, double? Score, string? Note = null, int Votes = 3);

        public sealed record Cleaned(string CleanText, int Length)
        {
            public JsonNode? Extra { get; init; }
        }

        public sealed record Graded(string CleanText, IReadOnlyList<int?> Ratings, decimal Price);

        """;

    private static GeneratorRun Generate(string body, string more = "") => GeneratorHarness.Run(Records + more + $$"""
        public static class Recipe
        {
            public static async Task Build(Pipeline pipeline, IRowSource source, Dataset dataset)
            {
        {{body}}
            }

            public static StepHandle LoadAny<T>(Pipeline pipeline, IRowSource source) => pipeline.Load<T>(source);
        }
        """);

    private static IEnumerable<string> Mappers(GeneratorRun run) =>
        run.GeneratedSources.Keys.Where(k => k.StartsWith("Distil.Rows.", StringComparison.Ordinal)).Order(StringComparer.Ordinal);

    [Fact]
    public void Records_of_Load_Map_Filter_and_typed_reads_get_row_mappers()
    {
        var run = Generate("""
                pipeline.Load<Ticket>(source).Filter<Ticket>(t => t.Priority > 1).Map<Ticket, Cleaned>(t => new Cleaned(t.Text, t.Text.Length));
                await foreach (var graded in dataset.ReadAsync<Graded>()) { }
                var again = await dataset.ToListAsync<Cleaned>();
        """);

        Assert.Empty(run.GeneratorDiagnostics);
        Assert.Empty(run.CompilationErrors);
        Assert.Equal(new[] { "Distil.Rows.RowMapperOf_Shop_Cleaned.g.cs", "Distil.Rows.RowMapperOf_Shop_Graded.g.cs", "Distil.Rows.RowMapperOf_Shop_Ticket.g.cs" }, Mappers(run));
        Snapshot.Verify(string.Join("\n", Mappers(run).Select(k => $"//--- {k}\n{run.GeneratedSources[k]}")), directory: "Snapshots");
    }

    [Fact]
    public void Inferred_type_arguments_are_found_too()
    {
        var run = Generate("""
                pipeline.Load(new[] { new Cleaned("a", 1) }).Map((Cleaned c) => new Graded(c.CleanText, [], 1m));
        """);

        Assert.Empty(run.CompilationErrors);
        Assert.Equal(new[] { "Distil.Rows.RowMapperOf_Shop_Cleaned.g.cs", "Distil.Rows.RowMapperOf_Shop_Graded.g.cs" }, Mappers(run));
    }

    [Fact]
    public void Records_the_reflection_fallback_would_map_differently_are_left_to_it()
    {
        var run = Generate("""
                pipeline.Load<WithNested>(source);
                pipeline.Load<WithGuid>(source);
                pipeline.Load<WithComputed>(source);
                pipeline.Load<Hidden>(source);
                LoadAny<Ticket>(pipeline, source);
        """, """
            public sealed record WithNested(string Text, Cleaned Inner);
            public sealed record WithGuid(string Text, Guid Id);
            public sealed record WithComputed(string Text)
            {
                public int Length => Text.Length;
            }
            public static class Holder
            {
                private sealed record Secret(string Text);
                public static void Use(Pipeline pipeline, IRowSource source) => pipeline.Load<Secret>(source);
            }
            public sealed record Hidden(string Text);

            """);

        Assert.Empty(run.CompilationErrors);
        // Hidden is public and plain: mapped. The others go to the fallback; T of LoadAny<T> is not a record.
        Assert.Equal(new[] { "Distil.Rows.RowMapperOf_Shop_Hidden.g.cs" }, Mappers(run));
    }

    [Fact]
    public void An_edit_elsewhere_leaves_the_mappers_cached()
    {
        var compilation = GeneratorHarness.Compilation(Records + """
            public static class Recipe
            {
                public static void Build(Pipeline pipeline, IRowSource source) => pipeline.Load<Ticket>(source).Map<Ticket, Cleaned>(t => new Cleaned(t.Text, 1));
            }
            """);
        var driver = GeneratorHarness.Driver().RunGenerators(compilation);

        var edited = compilation.AddSyntaxTrees(CSharpSyntaxTree.ParseText("public static class Other { public static int Two() => 2; }",
            new CSharpParseOptions(LanguageVersion.Latest), path: "Other.cs"));
        var result = driver.RunGenerators(edited).GetRunResult().Results.Single(r => r.Generator.GetGeneratorType() == typeof(Distil.Generators.Rows.RowMapperGenerator));

        Assert.All(result.TrackedSteps["RowMappers"].SelectMany(s => s.Outputs), output =>
            Assert.True(output.Reason is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged, $"RowMappers ran again: {output.Reason}"));
    }
}
