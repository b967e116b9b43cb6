using Distil.Generators.Tests.Support;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace Distil.Generators.Tests;

/// <summary>
/// After an edit, a [Task] class is read again only when something its reading depended on changed:
/// its own declarations, the records and enums it is made of, or what names mean in the project.
/// Everything else stays cached (what keeps an IDE keystroke cheap in a project of many tasks), and
/// every change that does matter is seen.
/// </summary>
public class DeclarationReuseTests
{
    private static string Task(int i, string prompt = "Summarise {{ title }}.") => $$"""
        using Distil;
        namespace App;
        [Task("task_{{i}}")]
        [UserPrompt("{{prompt}}")]
        public sealed partial class Task{{i}} : LlmTask<Task{{i}}.Input, Task{{i}}.Output>
        {
            public sealed record Input(string Title);
            public sealed record Output(string Summary);
        }
        """;

    private static CSharpParseOptions Options(Compilation compilation) => (CSharpParseOptions)compilation.SyntaxTrees.First().Options;

    private static Compilation Replace(Compilation compilation, int index, string source) =>
        compilation.ReplaceSyntaxTree(
            compilation.SyntaxTrees.ElementAt(index),
            CSharpSyntaxTree.ParseText(source, Options(compilation), path: compilation.SyntaxTrees.ElementAt(index).FilePath));

    private static Compilation Add(Compilation compilation, string source, string path) =>
        compilation.AddSyntaxTrees(CSharpSyntaxTree.ParseText(source, Options(compilation), path: path));

    private static List<IncrementalStepRunReason> Reads(GeneratorRunResult result) =>
        result.TrackedSteps[TrackingNames.TaskDeclarations].SelectMany(s => s.Outputs).Select(o => o.Reason).ToList();

    private static string Source(GeneratorRunResult result, string hintName) =>
        result.GeneratedSources.Single(s => s.HintName == hintName).SourceText.ToString();

    [Fact]
    public void Editing_one_task_among_many_reads_only_that_task_again()
    {
        var compilation = GeneratorHarness.Compilation(Enumerable.Range(0, 20).Select(i => Task(i)).ToArray());
        var driver = GeneratorHarness.Driver().RunGenerators(compilation);

        var result = driver.RunGenerators(Replace(compilation, 7, Task(7, "Condense {{ title }}."))).GetRunResult().Results[0];

        var reads = Reads(result);
        Assert.Equal(20, reads.Count);
        Assert.Equal(1, reads.Count(r => r == IncrementalStepRunReason.Modified));
        // Cached, not Unchanged: the 19 others were not read again at all (Unchanged would mean read, and found equal).
        Assert.Equal(19, reads.Count(r => r == IncrementalStepRunReason.Cached));
        Assert.Contains("Condense ", Source(result, "App.Task7.g.cs"));
    }

    [Fact]
    public void An_edit_inside_a_method_of_another_class_reads_no_task_again()
    {
        var other = "namespace App; public class Other { public int Count() => 1; }";
        var compilation = GeneratorHarness.Compilation(Task(0), Task(1), other);
        var driver = GeneratorHarness.Driver().RunGenerators(compilation);

        var result = driver.RunGenerators(Replace(compilation, 2, other.Replace("=> 1", "=> 2"))).GetRunResult().Results[0];

        Assert.All(Reads(result), r => Assert.Equal(IncrementalStepRunReason.Cached, r));
    }

    [Fact]
    public void A_record_edited_in_its_own_file_reads_the_task_that_uses_it_again()
    {
        const string task = """
            using Distil;
            namespace App;
            [Task("review")]
            [UserPrompt("Review {{ text }}.")]
            public sealed partial class Review : LlmTask<ReviewInput, ReviewOutput> { }
            """;
        const string records = """
            namespace App;
            public sealed record ReviewInput(string Text);
            public sealed record ReviewOutput(string Verdict);
            """;
        var compilation = GeneratorHarness.Compilation(task, Task(1), records);
        var driver = GeneratorHarness.Driver().RunGenerators(compilation);
        Assert.DoesNotContain("confidence", Source(driver.GetRunResult().Results[0], "App.Review.g.cs"));

        var edited = Replace(compilation, 2, records.Replace("string Verdict", "string Verdict, double Confidence"));
        var result = driver.RunGenerators(edited).GetRunResult().Results[0];

        Assert.Contains("confidence", Source(result, "App.Review.g.cs"));
        var reads = Reads(result);
        Assert.Equal(1, reads.Count(r => r == IncrementalStepRunReason.Modified));
        Assert.Equal(1, reads.Count(r => r == IncrementalStepRunReason.Cached));
    }

    [Fact]
    public void A_type_declared_elsewhere_under_a_name_a_task_uses_is_seen()
    {
        // Level means Library.Level until App declares its own: the task's file does not change.
        const string task = """
            using Distil;
            using Library;
            namespace App;
            [Task("grade")]
            [UserPrompt("Grade {{ text }}.")]
            public sealed partial class Grade : LlmTask<Grade.Input, Grade.Output>
            {
                public sealed record Input(string Text);
                public sealed record Output(Level Level);
            }
            """;
        const string library = "namespace Library; public enum Level { Low, High }";
        var compilation = GeneratorHarness.Compilation(task, library);
        var driver = GeneratorHarness.Driver().RunGenerators(compilation);
        Assert.DoesNotContain("Medium", Source(driver.GetRunResult().Results[0], "App.Grade.g.cs"));

        var result = driver.RunGenerators(Add(compilation, "namespace App; public enum Level { Low, Medium, High }", "Level.cs"))
            .GetRunResult().Results[0];

        Assert.Contains("Medium", Source(result, "App.Grade.g.cs"));
    }

    [Fact]
    public void A_prompt_taken_from_a_constant_in_another_file_is_read_again_when_the_constant_changes()
    {
        const string task = """
            using Distil;
            namespace App;
            [Task("summary")]
            [UserPrompt(Prompts.Summary)]
            public sealed partial class Summary : LlmTask<Summary.Input, Summary.Output>
            {
                public sealed record Input(string Title);
                public sealed record Output(string Summary);
            }
            """;
        const string prompts = """namespace App; public static class Prompts { public const string Summary = "Summarise {{ title }}."; }""";
        var compilation = GeneratorHarness.Compilation(task, prompts);
        var driver = GeneratorHarness.Driver().RunGenerators(compilation);

        var result = driver.RunGenerators(Replace(compilation, 1, prompts.Replace("Summarise", "Condense"))).GetRunResult().Results[0];

        Assert.Contains("Condense ", Source(result, "App.Summary.g.cs"));
    }

    [Fact]
    public void A_part_of_a_task_added_to_another_file_is_seen()
    {
        var other = "namespace App; public class Other { }";
        var compilation = GeneratorHarness.Compilation(Task(0), other);
        var driver = GeneratorHarness.Driver().RunGenerators(compilation);
        Assert.DoesNotContain("max_words", Source(driver.GetRunResult().Results[0], "App.Task0.g.cs"));

        var edited = Replace(compilation, 1, other + "\npublic sealed partial class Task0 { public int MaxWords { get; set; } = 50; }");
        var result = driver.RunGenerators(edited).GetRunResult().Results[0];

        Assert.Contains("max_words", Source(result, "App.Task0.g.cs"));
    }

    [Fact]
    public void A_new_reference_reads_every_task_again()
    {
        var compilation = GeneratorHarness.Compilation(Task(0), Task(1));
        var driver = GeneratorHarness.Driver().RunGenerators(compilation);

        var extra = MetadataReference.CreateFromFile(typeof(DeclarationReuseTests).Assembly.Location);
        var result = driver.RunGenerators(compilation.AddReferences(extra)).GetRunResult().Results[0];

        Assert.All(Reads(result), r => Assert.NotEqual(IncrementalStepRunReason.Cached, r));
    }

    [Fact]
    public void Editing_a_task_reads_no_step_again_and_editing_a_step_reads_only_that_step()
    {
        const string step = """
            using Distil;
            namespace App;
            [Step("trim")]
            public sealed partial class Trim : Step<Trim.Input, Trim.Output>
            {
                public sealed record Input(string Text);
                public sealed record Output(string Clean);
                public override Output Process(Input input) => new(input.Text.Trim());
            }
            """;
        var compilation = GeneratorHarness.Compilation(Task(0), step, step.Replace("Trim", "Strip").Replace("\"trim\"", "\"strip\""));
        var driver = GeneratorHarness.Driver().RunGenerators(compilation);

        var afterTaskEdit = driver.RunGenerators(Replace(compilation, 0, Task(0, "Condense {{ title }}."))).GetRunResult().Results[0];
        Assert.All(StepReads(afterTaskEdit), r => Assert.Equal(IncrementalStepRunReason.Cached, r));

        var afterStepEdit = driver.RunGenerators(Replace(compilation, 1, step.Replace("Trim()", "Trim('.')"))).GetRunResult().Results[0];
        var reads = StepReads(afterStepEdit);
        Assert.Equal(1, reads.Count(r => r == IncrementalStepRunReason.Modified));
        Assert.Equal(1, reads.Count(r => r == IncrementalStepRunReason.Cached));
    }

    private static List<IncrementalStepRunReason> StepReads(GeneratorRunResult result) =>
        result.TrackedSteps[TrackingNames.StepDeclarations].SelectMany(s => s.Outputs).Select(o => o.Reason).ToList();
}
