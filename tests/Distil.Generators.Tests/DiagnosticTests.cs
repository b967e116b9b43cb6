using Distil.Generators.Tests.Support;
using Microsoft.CodeAnalysis;

namespace Distil.Generators.Tests;

/// <summary>One test per diagnostic: its ID, where it points and what it says.</summary>
public class DiagnosticTests
{
    private static Diagnostic Single(GeneratorRun run, string id)
    {
        var matching = run.GeneratorDiagnostics.Where(d => d.Id == id).ToList();
        Assert.True(matching.Count == 1, $"Expected one {id}, got: {string.Join("; ", run.GeneratorDiagnostics)}");
        return matching[0];
    }

    private static (int Line, int Column) Start(Diagnostic diagnostic)
    {
        var span = diagnostic.Location.GetLineSpan();
        return (span.StartLinePosition.Line + 1, span.StartLinePosition.Character + 1);
    }

    [Fact]
    public void DISTIL001_task_class_not_partial()
    {
        var run = GeneratorHarness.Run("""
            using Distil;
            [Task("t")]
            [UserPrompt("{{ text }}")]
            public sealed class Plain : LlmTask<Plain.Input, Plain.Output>
            {
                public sealed record Input(string Text);
                public sealed record Output(string Answer);
            }
            """);

        var diagnostic = Single(run, "DISTIL001");
        Assert.Equal(DiagnosticSeverity.Error, diagnostic.Severity);
        Assert.Equal((4, 21), Start(diagnostic));
        Assert.Equal("Task class 'Plain' must be declared partial so that Distil can generate its members; add the 'partial' modifier",
            diagnostic.GetMessage());
        Assert.Empty(run.GeneratedSources);
    }

    [Fact]
    public void DISTIL002_template_does_not_parse_points_into_the_template_file()
    {
        var run = GeneratorHarness.Run("""
            using Distil;
            [Task("t")]
            [UserPrompt(File = "Prompts/broken.sbn")]
            public sealed partial class Broken : LlmTask<Broken.Input, Broken.Output>
            {
                public sealed record Input(string Text);
                public sealed record Output(string Answer);
            }
            """, new InMemoryAdditionalText("/p/Prompts/broken.sbn", "Line one\n{{ text }}\n{{ if text }}never closed\n"));

        var diagnostic = Single(run, "DISTIL002");
        Assert.Equal("/p/Prompts/broken.sbn", diagnostic.Location.GetLineSpan().Path);
        Assert.Equal(3, Start(diagnostic).Line);
        Assert.StartsWith("The user template of task 't' does not parse at Prompts/broken.sbn(3,", diagnostic.GetMessage());
    }

    [Fact]
    public void DISTIL003_unknown_template_variable_suggests_the_column()
    {
        var run = GeneratorHarness.Run("""
            using Distil;
            [Task("summary")]
            [UserPrompt("Summarise {{ titel }} in {{ max_words }} words:")]
            public sealed partial class Summary : LlmTask<Summary.Input, Summary.Output>
            {
                public sealed record Input(string Title, int MaxWords);
                public sealed record Output(string Summary);
            }
            """);

        var diagnostic = Single(run, "DISTIL003");
        Assert.Equal(DiagnosticSeverity.Error, diagnostic.Severity);
        Assert.Equal((3, 27), Start(diagnostic));
        Assert.Equal(5, diagnostic.Location.SourceSpan.Length);
        Assert.Equal("Template variable 'titel' is not an input column or template parameter of task 'summary'. Did you mean 'title'?",
            diagnostic.GetMessage());
    }

    [Fact]
    public void DISTIL004_template_file_not_found()
    {
        var run = GeneratorHarness.Run("""
            using Distil;
            [Task("t")]
            [UserPrompt(File = "Prompts/missing.sbn")]
            public sealed partial class Missing : LlmTask<Missing.Input, Missing.Output>
            {
                public sealed record Input(string Text);
                public sealed record Output(string Answer);
            }
            """);

        var diagnostic = Single(run, "DISTIL004");
        Assert.Equal((3, 13), Start(diagnostic));
        Assert.Contains("The user template file 'Prompts/missing.sbn' of task 't' is not among the project's AdditionalFiles", diagnostic.GetMessage());
    }

    [Fact]
    public void DISTIL005_output_type_the_schema_cannot_express()
    {
        var run = GeneratorHarness.Run("""
            using Distil;
            [Task("t")]
            [UserPrompt("{{ text }}")]
            public sealed partial class Scores : LlmTask<Scores.Input, Scores.Output>
            {
                public sealed record Input(string Text);
                public sealed record Output(Dictionary<string, int> ByName);
            }
            """);

        var diagnostic = Single(run, "DISTIL005");
        Assert.Equal((7, 57), Start(diagnostic));
        Assert.Equal("Property 'ByName' of output type 'Output' has type 'System.Collections.Generic.Dictionary<string, int>', which the output JSON schema cannot express: dictionaries have no fixed properties; use a record or a list of records",
            diagnostic.GetMessage());
        Assert.Empty(run.CompilationErrors.Where(e => e.Id.StartsWith("CS", StringComparison.Ordinal)));
    }

    [Fact]
    public void DISTIL005_json_value_in_an_output_record()
    {
        var run = GeneratorHarness.Run("""
            using Distil;
            using System.Text.Json.Nodes;
            [Task("t")]
            [UserPrompt("{{ text }}")]
            public sealed partial class Loose : LlmTask<Loose.Input, Loose.Output>
            {
                public sealed record Input(string Text);
                public sealed record Output(JsonObject Answer);
            }
            """);

        var diagnostic = Single(run, "DISTIL005");
        Assert.Contains("a JSON value has no fixed shape, and output records need one for their JSON schema; use a record", diagnostic.GetMessage());
    }

    [Fact]
    public void DISTIL006_input_column_no_template_uses_is_a_warning()
    {
        var run = GeneratorHarness.Run("""
            using Distil;
            [Task("t")]
            [UserPrompt("{{ text }}")]
            public sealed partial class Unused : LlmTask<Unused.Input, Unused.Output>
            {
                public sealed record Input(string Text, string Source);
                public sealed record Output(string Answer);
            }
            """);

        var diagnostic = Single(run, "DISTIL006");
        Assert.Equal(DiagnosticSeverity.Warning, diagnostic.Severity);
        Assert.Equal((6, 52), Start(diagnostic));
        Assert.Equal("Input column 'source' of task 't' is not used by any of its templates; use it in a prompt or remove it from the input record",
            diagnostic.GetMessage());
        Assert.Empty(run.CompilationErrors);
    }

    [Fact]
    public void DISTIL007_two_properties_map_to_one_column()
    {
        var run = GeneratorHarness.Run("""
            using Distil;
            [Task("t")]
            [UserPrompt("{{ text }}")]
            public sealed partial class Clash : LlmTask<Clash.Input, Clash.Output>
            {
                public sealed record Input(string Text);
                public sealed record Output(string Answer, [property: Column("answer")] string Reply);
            }
            """);

        var diagnostic = Single(run, "DISTIL007");
        Assert.Equal((7, 84), Start(diagnostic));
        Assert.Equal("Properties 'Answer' and 'Reply' of 'Output' both map to column 'answer'; give one of them another name with [Column(\"...\")]",
            diagnostic.GetMessage());
    }

    [Fact]
    public void DISTIL008_input_type_that_cannot_be_read_from_a_row()
    {
        var run = GeneratorHarness.Run("""
            using Distil;
            [Task("t")]
            [UserPrompt("{{ text }}")]
            public sealed partial class Odd : LlmTask<Odd.Input, Odd.Output>
            {
                public sealed record Input(string Text, object Extra);
                public sealed record Output(string Answer);
            }
            """);

        var diagnostic = Single(run, "DISTIL008");
        Assert.Equal((6, 52), Start(diagnostic));
        Assert.Contains("Property 'Extra' of input type 'Input' has type 'object'", diagnostic.GetMessage());
    }

    [Fact]
    public void DISTIL009_task_class_without_the_task_base()
    {
        var run = GeneratorHarness.Run("""
            using Distil;
            [Task("t")]
            [UserPrompt("hello")]
            public sealed partial class NotATask
            {
            }
            """);

        var diagnostic = Single(run, "DISTIL009");
        Assert.Equal((4, 29), Start(diagnostic));
        Assert.Equal("Task class 'NotATask' must be a class deriving from Distil.LlmTask<TInput, TOutput>, with classes (usually records) for its input and output", diagnostic.GetMessage());
    }

    [Fact]
    public void DISTIL010_task_without_a_user_prompt()
    {
        var run = GeneratorHarness.Run("""
            using Distil;
            [Task("silent")]
            [SystemPrompt("You are terse.")]
            public sealed partial class Silent : LlmTask<Silent.Input, Silent.Output>
            {
                public sealed record Input(string Text);
                public sealed record Output(string Answer);
            }
            """);

        var diagnostic = Single(run, "DISTIL010");
        Assert.Equal((4, 29), Start(diagnostic));
        Assert.StartsWith("Task 'silent' has no [UserPrompt]", diagnostic.GetMessage());
    }

    [Fact]
    public void DISTIL011_prompt_with_both_text_and_file()
    {
        var run = GeneratorHarness.Run("""
            using Distil;
            [Task("t")]
            [UserPrompt("{{ text }}", File = "Prompts/t.sbn")]
            public sealed partial class Both : LlmTask<Both.Input, Both.Output>
            {
                public sealed record Input(string Text);
                public sealed record Output(string Answer);
            }
            """);

        var diagnostic = Single(run, "DISTIL011");
        Assert.Equal((3, 2), Start(diagnostic));
        Assert.StartsWith("The [UserPrompt] of task 't' has both template text and File; give either", diagnostic.GetMessage());
    }

    [Fact]
    public void DISTIL011_prompt_with_neither_text_nor_file()
    {
        var run = GeneratorHarness.Run("""
            using Distil;
            [Task("t")]
            [SystemPrompt]
            [UserPrompt("{{ text }}")]
            public sealed partial class Neither : LlmTask<Neither.Input, Neither.Output>
            {
                public sealed record Input(string Text);
                public sealed record Output(string Answer);
            }
            """);

        Assert.Contains("has neither template text nor File", Single(run, "DISTIL011").GetMessage());
    }

    [Fact]
    public void DISTIL012_ParseOutput_with_the_wrong_signature_is_a_warning()
    {
        var run = GeneratorHarness.Run("""
            using Distil;
            [Task("t")]
            [UserPrompt("{{ text }}")]
            public sealed partial class Near : LlmTask<Near.Input, Near.Output>
            {
                public sealed record Input(string Text);
                public sealed record Output(string Answer);
                static Output? ParseOutput(string text) => new(text);
            }
            """);

        var diagnostic = Single(run, "DISTIL012");
        Assert.Equal(DiagnosticSeverity.Warning, diagnostic.Severity);
        Assert.Equal((8, 20), Start(diagnostic));
        Assert.Equal("Method 'ParseOutput' of task 't' is not used because its signature is not 'Output? ParseOutput(string text, Input input)'; answers are parsed as JSON instead",
            diagnostic.GetMessage());
        Assert.Empty(run.CompilationErrors);
    }

    [Fact]
    public void DISTIL013_FormatMessages_together_with_prompts_is_an_error()
    {
        var run = GeneratorHarness.Run("""
            using System.Collections.Generic;
            using Distil;
            using Microsoft.Extensions.AI;
            [Task("t")]
            [UserPrompt("{{ text }}")]
            public sealed partial class Both : LlmTask<Both.Input, Both.Output>
            {
                public sealed record Input(string Text);
                public sealed record Output(string Answer);
                IReadOnlyList<ChatMessage> FormatMessages(Input input) => [new(ChatRole.User, input.Text)];
            }
            """);

        var diagnostic = Single(run, "DISTIL013");
        Assert.Equal(DiagnosticSeverity.Error, diagnostic.Severity);
        Assert.Equal((6, 29), Start(diagnostic));
        Assert.Equal("Task 't' has a FormatMessages method and prompt attributes; it must build its chat one way: remove the [SystemPrompt]/[UserPrompt] attributes or the method",
            diagnostic.GetMessage());
    }

    [Fact]
    public void DISTIL014_FormatMessages_with_the_wrong_signature_is_a_warning()
    {
        var run = GeneratorHarness.Run("""
            using System.Collections.Generic;
            using Distil;
            using Microsoft.Extensions.AI;
            [Task("t")]
            [UserPrompt("{{ text }}")]
            public sealed partial class Near : LlmTask<Near.Input, Near.Output>
            {
                public sealed record Input(string Text);
                public sealed record Output(string Answer);
                List<ChatMessage> FormatMessages(string text) => [new(ChatRole.User, text)];
            }
            """);

        var diagnostic = Single(run, "DISTIL014");
        Assert.Equal(DiagnosticSeverity.Warning, diagnostic.Severity);
        Assert.Equal((10, 23), Start(diagnostic));
        Assert.Equal("Method 'FormatMessages' of task 't' is not used because its signature is not 'IReadOnlyList<ChatMessage> FormatMessages(Input input)'",
            diagnostic.GetMessage());
        Assert.Empty(run.CompilationErrors);
    }

    [Fact]
    public void DISTIL001_names_the_enclosing_class_that_is_not_partial()
    {
        var run = GeneratorHarness.Run("""
            using Distil;
            public static class Outer
            {
                [Task("t")]
                [UserPrompt("{{ text }}")]
                public sealed partial class Inner : LlmTask<Inner.Input, Inner.Output>
                {
                    public sealed record Input(string Text);
                    public sealed record Output(string Answer);
                }
            }
            """);

        var diagnostic = Single(run, "DISTIL001");
        Assert.Equal((2, 21), Start(diagnostic));
        Assert.StartsWith("Task class 'Outer' must be declared partial", diagnostic.GetMessage());
    }

    [Fact]
    public void DISTIL009_task_attribute_on_a_record()
    {
        var run = GeneratorHarness.Run("""
            using Distil;
            [Task("t")]
            [UserPrompt("{{ text }}")]
            public sealed partial record Rec : LlmTask<Rec.Input, Rec.Output>
            {
                public sealed record Input(string Text);
                public sealed record Output(string Answer);
            }
            """);

        Assert.Equal((4, 30), Start(Single(run, "DISTIL009")));
    }

    [Fact]
    public void DISTIL016_a_pipeline_step_reads_a_column_no_earlier_step_writes()
    {
        var diagnostics = AnalyzerHarness.Run("""
            using Distil;
            using Distil.Pipelines;
            public sealed record Review(string Text, int Stars);
            [Task("summary")]
            [UserPrompt("Summarise: {{ review }}")]
            public sealed partial class Summary : LlmTask<Summary.Input, Summary.Output>
            {
                public sealed record Input(string Review);
                public sealed record Output(string Summary);
            }
            public static class Recipe
            {
                public static void Build(Pipeline pipeline, IRowSource source) =>
                    pipeline.Load<Review>(source).Then(new Summary());
            }
            """);

        var diagnostic = Assert.Single(diagnostics);
        Assert.Equal("DISTIL016", diagnostic.Id);
        Assert.Equal(DiagnosticSeverity.Error, diagnostic.Severity);
        Assert.Equal((14, 44), Start(diagnostic));
        Assert.Equal("Task 'summary' reads column 'review', which no earlier step writes; the rows there have text, stars", diagnostic.GetMessage());
    }

    [Fact]
    public void DISTIL017_a_pipeline_step_reads_a_column_as_another_type()
    {
        var diagnostics = AnalyzerHarness.Run("""
            using Distil;
            using Distil.Pipelines;
            public sealed record Review(string Text, string Stars);
            [Task("stars")]
            [UserPrompt("{{ text }} has {{ stars }} stars")]
            public sealed partial class Stars : LlmTask<Stars.Input, Stars.Output>
            {
                public sealed record Input(string Text, int Stars);
                public sealed record Output(string Verdict);
            }
            public static class Recipe
            {
                public static void Build(Pipeline pipeline, IRowSource source) =>
                    pipeline.Load<Review>(source).Then(new Stars());
            }
            """);

        var diagnostic = Assert.Single(diagnostics);
        Assert.Equal("DISTIL017", diagnostic.Id);
        Assert.Equal(DiagnosticSeverity.Warning, diagnostic.Severity);
        Assert.Equal("Task 'stars' reads column 'stars' as integer, but Load<Review> writes it as string", diagnostic.GetMessage());
    }

    [Fact]
    public void DISTIL018_a_column_mapping_names_a_column_the_task_does_not_have()
    {
        var diagnostics = AnalyzerHarness.Run("""
            using Distil;
            using Distil.Pipelines;
            using Distil.Tasks;
            public sealed record Question(string Instruction);
            public static class Recipe
            {
                public static void Build(Pipeline pipeline, IRowSource source) =>
                    pipeline.Load<Question>(source).Then(new TextGeneration(),
                        new ColumnMappings { Outputs = new Dictionary<string, string> { ["generations"] = "answer" } });
            }
            """);

        var diagnostic = Assert.Single(diagnostics);
        Assert.Equal("DISTIL018", diagnostic.Id);
        Assert.Equal(DiagnosticSeverity.Error, diagnostic.Severity);
        Assert.Equal((9, 78), Start(diagnostic));
        Assert.Equal("Task 'text_generation' has no output 'generations' to map; its outputs are generation. Did you mean 'generation'?", diagnostic.GetMessage());
    }

    [Fact]
    public void DISTIL019_step_class_not_partial()
    {
        var run = GeneratorHarness.Run("""
            using Distil;
            [Step("trim")]
            public sealed class Trim : Step<Trim.Input, Trim.Output>
            {
                public sealed record Input(string Text);
                public sealed record Output(string Text);
                public override Output Process(Input input) => new(input.Text.Trim());
            }
            """);

        var diagnostic = Single(run, "DISTIL019");
        Assert.Equal(DiagnosticSeverity.Error, diagnostic.Severity);
        Assert.Equal((3, 21), Start(diagnostic));
        Assert.Equal("Step class 'Trim' must be declared partial so that Distil can generate its row mapping, columns and signature; add the 'partial' modifier",
            diagnostic.GetMessage());
        Assert.Empty(run.GeneratedSources);
    }

    [Fact]
    public void DISTIL020_step_class_without_a_typed_step_base()
    {
        var run = GeneratorHarness.Run("""
            using Distil;
            [Step("trim")]
            public sealed partial class Trim
            {
            }
            """);

        var diagnostic = Single(run, "DISTIL020");
        Assert.Equal((3, 29), Start(diagnostic));
        Assert.Equal("Step class 'Trim' must be a class deriving from Distil.Step<TIn, TOut>, ManyStep<TIn, TOut>, GlobalStep<TIn, TOut> or GeneratorStep<TOut>, with classes (usually records) for its input and output",
            diagnostic.GetMessage());
        Assert.Empty(run.GeneratedSources);
    }

    [Fact]
    public void DISTIL021_tool_parameter_of_a_type_a_tool_call_cannot_give()
    {
        var run = GeneratorHarness.Run("""
            using Distil;
            [Task("t")]
            [UserPrompt("{{ text }}")]
            public sealed partial class Agent : LlmTask<Agent.Input, Agent.Output>
            {
                public sealed record Input(string Text);
                public sealed record Output(string Answer);
                public sealed record Place(string Name);
                [Tool] public string Visit(Place place) => place.Name;
            }
            """);

        var diagnostic = Single(run, "DISTIL021");
        Assert.Equal(DiagnosticSeverity.Error, diagnostic.Severity);
        Assert.Equal((9, 38), Start(diagnostic));
        Assert.Equal("Parameter 'place' of tool method 'Visit' has type 'Agent.Place', which a tool call's JSON arguments cannot give; use string, bool, a number, an enum, DateTime, DateTimeOffset, Guid, an array or list of those, or a CancellationToken",
            diagnostic.GetMessage());
        Assert.DoesNotContain(run.GeneratedSources.Keys, k => k.EndsWith(".Tools.g.cs", StringComparison.Ordinal));
    }

    [Fact]
    public void DISTIL022_tool_method_on_a_class_that_is_not_a_task()
    {
        var run = GeneratorHarness.Run("""
            using Distil;
            public sealed partial class Helpers
            {
                [Tool] public int Add(int a, int b) => a + b;
            }
            """);

        var diagnostic = Single(run, "DISTIL022");
        Assert.Equal(DiagnosticSeverity.Error, diagnostic.Severity);
        Assert.Equal((4, 23), Start(diagnostic));
        Assert.Equal("Method 'Add' cannot be a [Tool]: its class 'Helpers' does not derive from Distil.LlmTask<TInput, TOutput>", diagnostic.GetMessage());
        Assert.Empty(run.GeneratedSources);
    }

    [Fact]
    public void Every_descriptor_is_documented_and_tested()
    {
        var docs = File.ReadAllText(Path.Combine(RepositoryRoot(), "docs", "diagnostics.md"));
        var tests = typeof(DiagnosticTests).GetMethods().Select(m => m.Name).ToList();
        foreach (var descriptor in Diagnostics.DiagnosticDescriptors.All)
        {
            Assert.Contains($"## {descriptor.Id}", docs);
            Assert.Contains(tests, t => t.StartsWith(descriptor.Id + "_", StringComparison.Ordinal));
            Assert.EndsWith("#" + descriptor.Id.ToLowerInvariant(), descriptor.HelpLinkUri);
        }
    }

    private static string RepositoryRoot([System.Runtime.CompilerServices.CallerFilePath] string file = "") =>
        Path.GetFullPath(Path.Combine(Path.GetDirectoryName(file)!, "..", ".."));

    [Fact]
    public void DISTIL015_a_row_rule_that_names_no_list_of_the_input()
    {
        var run = GeneratorHarness.Run("""
            using Distil;
            [Task("t")]
            [UserPrompt("{{ text }} {{ for r in responses }}{{ r }}{{ end }}")]
            public sealed partial class Scores : LlmTask<Scores.Input, Scores.Output>
            {
                public sealed record Input(string Text, System.Collections.Generic.IReadOnlyList<string> Responses);
                public sealed record Output([property: SameCountAs("Answers")] System.Collections.Generic.IReadOnlyList<int> Scores);
            }
            """);

        var diagnostic = Single(run, "DISTIL015");
        Assert.Equal(DiagnosticSeverity.Error, diagnostic.Severity);
        Assert.Equal("[SameCountAs(\"Answers\")] on 'Scores' of task 't' names no list property of the input record; use nameof(Input.Property) of a list (of text, for [OneOf])",
            diagnostic.GetMessage());
        Assert.True(diagnostic.Location.IsInSource, "it points at the property");
    }
}
