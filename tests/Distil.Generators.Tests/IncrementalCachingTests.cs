using Distil.Generators.Tests.Support;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace Distil.Generators.Tests;

/// <summary>The generator redoes only the work an edit calls for.</summary>
public class IncrementalCachingTests
{
    private const string SummaryTask = """
        using Distil;
        namespace App;
        [Task("summary")]
        [UserPrompt("Summarise {{ title }}.")]
        public sealed partial class Summary : LlmTask<Summary.Input, Summary.Output>
        {
            public sealed record Input(string Title);
            public sealed record Output(string Summary);
        }
        """;

    private const string JudgeTask = """
        using Distil;
        namespace App;
        [Task("judge")]
        [UserPrompt(File = "Prompts/judge.sbn")]
        public sealed partial class Judge : LlmTask<Judge.Input, Judge.Output>
        {
            public sealed record Input(string Answer);
            public sealed record Output(int Score);
        }
        """;

    private static readonly AdditionalText JudgeTemplate = new InMemoryAdditionalText("/app/Prompts/judge.sbn", "Judge: {{ answer }}");

    [Fact]
    public void An_unrelated_edit_leaves_every_step_cached()
    {
        var compilation = GeneratorHarness.Compilation(SummaryTask, JudgeTask, "namespace App; public class Other { }");
        var driver = GeneratorHarness.Driver(JudgeTemplate).RunGenerators(compilation);

        var edited = compilation.ReplaceSyntaxTree(
            compilation.SyntaxTrees.ElementAt(2),
            CSharpSyntaxTree.ParseText("namespace App; public class Other { public int Added => 1; }", (CSharpParseOptions)compilation.SyntaxTrees.First().Options, path: "Task2.cs"));
        var result = driver.RunGenerators(edited).GetRunResult().Results[0];

        var reasons = DistilStepReasons(result);
        Assert.NotEmpty(reasons);
        Assert.All(reasons, r => Assert.True(
            r.Reason is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged,
            $"{r.Step} ran again ({r.Reason}) after an unrelated edit."));
    }

    [Fact]
    public void Editing_one_task_regenerates_only_that_task()
    {
        var compilation = GeneratorHarness.Compilation(SummaryTask, JudgeTask);
        var driver = GeneratorHarness.Driver(JudgeTemplate).RunGenerators(compilation);
        var before = driver.GetRunResult().Results[0].GeneratedSources.ToDictionary(s => s.HintName, s => s.SourceText.ToString());

        var edited = compilation.ReplaceSyntaxTree(
            compilation.SyntaxTrees.First(),
            CSharpSyntaxTree.ParseText(SummaryTask.Replace("Summarise {{ title }}.", "Summarise {{ title }} briefly."),
                (CSharpParseOptions)compilation.SyntaxTrees.First().Options, path: "Task0.cs"));
        var result = driver.RunGenerators(edited).GetRunResult().Results[0];

        var specs = result.TrackedSteps[TrackingNames.TaskSpecs].SelectMany(s => s.Outputs).Select(o => o.Reason).ToList();
        Assert.Equal(1, specs.Count(r => r == IncrementalStepRunReason.Modified));
        Assert.Equal(1, specs.Count(r => r is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged));

        var after = result.GeneratedSources.ToDictionary(s => s.HintName, s => s.SourceText.ToString());
        Assert.NotEqual(before["App.Summary.g.cs"], after["App.Summary.g.cs"]);
        Assert.Equal(before["App.Judge.g.cs"], after["App.Judge.g.cs"]);
    }

    [Fact]
    public void Editing_a_template_file_regenerates_only_the_task_that_reads_it()
    {
        var compilation = GeneratorHarness.Compilation(SummaryTask, JudgeTask);
        var driver = GeneratorHarness.Driver(JudgeTemplate).RunGenerators(compilation);

        driver = driver.ReplaceAdditionalText(JudgeTemplate, new InMemoryAdditionalText("/app/Prompts/judge.sbn", "Judge strictly: {{ answer }}"));
        var result = driver.RunGenerators(compilation).GetRunResult().Results[0];

        var specs = result.TrackedSteps[TrackingNames.TaskSpecs].SelectMany(s => s.Outputs).Select(o => o.Reason).ToList();
        Assert.Equal(1, specs.Count(r => r == IncrementalStepRunReason.Modified));
        Assert.Contains("Judge strictly: ", result.GeneratedSources.Single(s => s.HintName == "App.Judge.g.cs").SourceText.ToString());
    }

    [Fact]
    public void Inserting_a_line_above_a_task_leaves_its_code_unchanged()
    {
        var compilation = GeneratorHarness.Compilation(SummaryTask, JudgeTask);
        var driver = GeneratorHarness.Driver(JudgeTemplate).RunGenerators(compilation);
        var before = driver.GetRunResult().Results[0].GeneratedSources.Single(s => s.HintName == "App.Summary.g.cs").SourceText.ToString();

        var edited = compilation.ReplaceSyntaxTree(
            compilation.SyntaxTrees.First(),
            CSharpSyntaxTree.ParseText("// a comment\n\n" + SummaryTask, (CSharpParseOptions)compilation.SyntaxTrees.First().Options, path: "Task0.cs"));
        var result = driver.RunGenerators(edited).GetRunResult().Results[0];

        // The declaration moved (its positions changed), but the code step sees no positions.
        var code = result.TrackedSteps[TrackingNames.TaskCode].SelectMany(s => s.Outputs).Select(o => o.Reason).ToList();
        Assert.All(code, r => Assert.True(r is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged, $"the code step ran with {r}"));
        Assert.Equal(before, result.GeneratedSources.Single(s => s.HintName == "App.Summary.g.cs").SourceText.ToString());
    }

    [Fact]
    public void A_template_edit_does_not_resolve_the_tasks_that_do_not_read_it()
    {
        var compilation = GeneratorHarness.Compilation(SummaryTask, JudgeTask);
        var driver = GeneratorHarness.Driver(JudgeTemplate).RunGenerators(compilation);

        driver = driver.ReplaceAdditionalText(JudgeTemplate, new InMemoryAdditionalText("/app/Prompts/judge.sbn", "Judge strictly: {{ answer }}"));
        var result = driver.RunGenerators(compilation).GetRunResult().Results[0];

        // Each task is combined only with the files it names: Summary's input to resolving is unchanged, so it is cached.
        var specs = result.TrackedSteps[TrackingNames.TaskSpecs].SelectMany(s => s.Outputs).Select(o => o.Reason).ToList();
        Assert.Equal(1, specs.Count(r => r == IncrementalStepRunReason.Cached));
        Assert.Equal(1, specs.Count(r => r == IncrementalStepRunReason.Modified));
    }

    [Fact]
    public void Diagnostics_point_into_the_compilation_s_syntax_trees_so_pragmas_apply()
    {
        const string unused = """
            using Distil;
            namespace App;
            #pragma warning disable DISTIL006
            [Task("unused")]
            [UserPrompt("Only {{ title }}.")]
            public sealed partial class Unused : LlmTask<Unused.Input, Unused.Output>
            {
                public sealed record Input(string Title, string Extra);
                public sealed record Output(string Summary);
            }
            #pragma warning restore DISTIL006
            """;
        var compilation = GeneratorHarness.Compilation(unused);

        GeneratorHarness.Driver().RunGeneratorsAndUpdateCompilation(compilation, out _, out var diagnostics);

        var warning = Assert.Single(diagnostics, d => d.Id == "DISTIL006");
        Assert.True(warning.Location.IsInSource, "an in-source location is what #pragma and [SuppressMessage] apply to");
        Assert.Same(compilation.SyntaxTrees.First(), warning.Location.SourceTree);
        // That a build then silences it is tested end to end in the package tests (a real dotnet build).
    }

    private static List<(string Step, IncrementalStepRunReason Reason)> DistilStepReasons(GeneratorRunResult result) =>
        result.TrackedSteps
            .Where(s => GeneratorHarness.IsDistilStep(s.Key))
            .SelectMany(s => s.Value.SelectMany(step => step.Outputs.Select(o => (s.Key, o.Reason))))
            .ToList();

    private const string TrimStep = """
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

    [Fact]
    public void Editing_a_step_body_changes_its_hash_and_regenerates_only_that_step()
    {
        var compilation = GeneratorHarness.Compilation(SummaryTask, TrimStep);
        var driver = GeneratorHarness.Driver().RunGenerators(compilation);
        var before = driver.GetRunResult().Results[0].GeneratedSources.ToDictionary(s => s.HintName, s => s.SourceText.ToString());

        var edited = compilation.ReplaceSyntaxTree(
            compilation.SyntaxTrees.ElementAt(1),
            CSharpSyntaxTree.ParseText(TrimStep.Replace("input.Text.Trim()", "input.Text.Trim('.')"), (CSharpParseOptions)compilation.SyntaxTrees.First().Options, path: "Task1.cs"));
        var result = driver.RunGenerators(edited).GetRunResult().Results[0];

        var after = result.GeneratedSources.ToDictionary(s => s.HintName, s => s.SourceText.ToString());
        Assert.NotEqual(before["App.Trim.Step.g.cs"], after["App.Trim.Step.g.cs"]);
        Assert.Equal(before["App.Summary.g.cs"], after["App.Summary.g.cs"]);
        var tasks = result.TrackedSteps[TrackingNames.TaskSpecs].SelectMany(s => s.Outputs).Select(o => o.Reason).ToList();
        Assert.All(tasks, r => Assert.True(r is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged, $"the task was resolved again ({r})"));
    }

    [Fact]
    public void A_comment_or_a_line_above_a_step_leaves_its_code_unchanged()
    {
        var compilation = GeneratorHarness.Compilation(TrimStep);
        var driver = GeneratorHarness.Driver().RunGenerators(compilation);
        var before = driver.GetRunResult().Results[0].GeneratedSources.Single().SourceText.ToString();

        var edited = compilation.ReplaceSyntaxTree(
            compilation.SyntaxTrees.First(),
            CSharpSyntaxTree.ParseText("// a comment\n\n" + TrimStep.Replace("public sealed record Input", "// the text\n    public sealed record Input"),
                (CSharpParseOptions)compilation.SyntaxTrees.First().Options, path: "Task0.cs"));
        var result = driver.RunGenerators(edited).GetRunResult().Results[0];

        Assert.Equal(before, result.GeneratedSources.Single().SourceText.ToString());
        var code = result.TrackedSteps[TrackingNames.StepCode].SelectMany(s => s.Outputs).Select(o => o.Reason).ToList();
        Assert.All(code, r => Assert.True(r is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged, $"the code step ran with {r}"));
    }
}
