using Distil.Generators.Tests.Support;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace Distil.Generators.Tests;

/// <summary>Which additional file a [UserPrompt(File = ...)] reads.</summary>
public class TemplateFileTests
{
    private const string Task = """
        using Distil;
        [Task("t")]
        [UserPrompt(File = "Prompts/judge.sbn")]
        public sealed partial class Judge : LlmTask<Judge.Input, Judge.Output>
        {
            public sealed record Input(string Answer);
            public sealed record Output(int Score);
        }
        """;

    [Fact]
    public void The_path_is_relative_to_the_project_directory()
    {
        // Another project's file with the same tail sorts first; the project's own must win.
        AdditionalText[] files =
        [
            new InMemoryAdditionalText("/repo/a/Prompts/judge.sbn", "Other project: {{ answer }}"),
            new InMemoryAdditionalText("/repo/b/Prompts/judge.sbn", "This project: {{ answer }}"),
        ];
        var driver = CSharpGeneratorDriver.Create(
            [new TaskGenerator().AsSourceGenerator()], files, new CSharpParseOptions(LanguageVersion.Latest),
            new BuildProperties(new Dictionary<string, string> { ["build_property.projectdir"] = "/repo/b/" }));

        var source = driver.RunGenerators(GeneratorHarness.Compilation(Task)).GetRunResult().GeneratedTrees.Single().ToString();

        Assert.Contains("This project: ", source);
        Assert.DoesNotContain("Other project: ", source);
    }

    [Fact]
    public void Without_a_project_directory_the_tail_of_the_path_is_matched()
    {
        var run = GeneratorHarness.Run(Task, new InMemoryAdditionalText("/anywhere/Prompts/judge.sbn", "Judge: {{ answer }}"));

        Assert.Contains("Judge: ", run.AllSources);
        Assert.Empty(run.CompilationErrors);
    }
}
