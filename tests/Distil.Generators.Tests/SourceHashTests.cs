using System.Text.RegularExpressions;
using Distil.Generators.Tests.Support;
using Microsoft.CodeAnalysis;

namespace Distil.Generators.Tests;

/// <summary>
/// The source hash a [Task] or [Step] class is generated with (part of its step's signature, so
/// what decides whether a run reuses its rows): it follows the declaration, its records and its
/// templates, and nothing of where the code sits (lines, comments, files, their order).
/// </summary>
public class SourceHashTests
{
    private const string TaskSource = """
        using Distil;
        namespace App;
        [Task("summary")]
        [UserPrompt("Summarise {{ title }} in {{ words }} words.")]
        public sealed partial class Summary : LlmTask<Article, Digest>
        {
            [TemplateParameter] public int Words { get; set; } = 20;
        }
        """;

    private const string Records = """
        namespace App;
        public sealed record Article(string Title);
        public sealed record Digest(string Summary);
        """;

    private const string Unrelated = """
        namespace App.Other;
        public static class Tools { public static string Shout(string s) => s.ToUpperInvariant(); }
        """;

    private const string StepSource = """
        using Distil;
        namespace App;
        [Step("tidy")]
        public sealed partial class Tidy : Step<Article, Clean>
        {
            public override Clean Process(Article input) => new(input.Title.Trim());
        }
        """;

    private const string StepRecords = """
        namespace App;
        public sealed record Clean(string Text);
        """;

    private const string FileTask = """
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

    [Fact]
    public void Comments_blank_lines_and_moved_code_keep_the_task_s_hash() =>
        Assert.Equal(TaskHash(TaskSource, Records), TaskHash(
            "// The summary task\n\n\n" + TaskSource.Replace("{\n", "{\n    // how long\n\n").Replace("public int", "public   int"),
            Records.Replace("public sealed record Digest", "\n\n/// <summary>The answer.</summary>\npublic sealed record Digest")));

    [Fact]
    public void Other_files_and_their_order_keep_the_task_s_hash()
    {
        var original = TaskHash(TaskSource, Records);
        Assert.Equal(original, TaskHash(Unrelated, Records, TaskSource));
        Assert.Equal(original, TaskHash(Records, TaskSource, Unrelated.Replace("ToUpperInvariant", "ToLowerInvariant")));
    }

    [Fact]
    public void A_partial_task_split_over_two_files_keeps_its_hash_whatever_their_order()
    {
        var first = """
            using Distil;
            namespace App;
            [Task("summary")]
            [UserPrompt("Summarise {{ title }} in {{ words }} words.")]
            public sealed partial class Summary : LlmTask<Article, Digest>
            {
            }
            """;
        var second = """
            using Distil;
            namespace App;
            public sealed partial class Summary
            {
                [TemplateParameter] public int Words { get; set; } = 20;
            }
            """;
        Assert.Equal(TaskHash(first, second, Records), TaskHash(second, first, Records));
    }

    [Fact]
    public void A_changed_template_changes_the_task_s_hash() =>
        Assert.NotEqual(TaskHash(TaskSource, Records), TaskHash(TaskSource.Replace("Summarise", "Summarize"), Records));

    [Fact]
    public void A_changed_declaration_changes_the_task_s_hash()
    {
        var original = TaskHash(TaskSource, Records);
        Assert.NotEqual(original, TaskHash(TaskSource.Replace("= 20;", "= 30;"), Records));
        Assert.NotEqual(original, TaskHash(TaskSource.Replace("{\n", "{\n    public bool Strict { get; set; }\n"), Records));
    }

    [Fact]
    public void A_changed_record_declared_in_another_file_changes_the_task_s_hash() =>
        Assert.NotEqual(TaskHash(TaskSource, Records), TaskHash(TaskSource, Records.Replace("record Digest(string Summary)", "record Digest(string Summary, string? Title)")));

    [Fact]
    public void A_changed_template_file_changes_the_task_s_hash_and_its_path_does_not_count()
    {
        string Hash(string path, string text)
        {
            var run = GeneratorHarness.Run(GeneratorHarness.Compilation(FileTask), new InMemoryAdditionalText(path, text));
            return HashIn(run, "App.Judge.g.cs");
        }
        var original = Hash("/app/Prompts/judge.sbn", "Judge: {{ answer }}");
        Assert.NotEqual(original, Hash("/app/Prompts/judge.sbn", "Judge strictly: {{ answer }}"));
        Assert.Equal(original, Hash("/elsewhere/checkout/Prompts/judge.sbn", "Judge: {{ answer }}"));
    }

    [Fact]
    public void A_step_s_hash_follows_its_body_and_records_not_comments_or_file_order()
    {
        var original = StepHash(StepSource, StepRecords, Records);
        Assert.Equal(original, StepHash(Records, "// tidy\n\n" + StepSource, StepRecords));
        Assert.NotEqual(original, StepHash(StepSource.Replace("Trim()", "Trim('.')"), StepRecords, Records));
        Assert.NotEqual(original, StepHash(StepSource, StepRecords.Replace("(string Text);", "(string Text) { public int Length { get; init; } }"), Records));
    }

    private static string TaskHash(params string[] sources) => HashIn(Run(sources), "App.Summary.g.cs");

    private static string StepHash(params string[] sources) => HashIn(Run(sources), "App.Tidy.Step.g.cs");

    private static GeneratorRun Run(string[] sources)
    {
        var run = GeneratorHarness.Run(GeneratorHarness.Compilation(sources));
        Assert.Empty(run.CompilationErrors);
        return run;
    }

    private static string HashIn(GeneratorRun run, string hintName)
    {
        Assert.True(run.GeneratedSources.ContainsKey(hintName), $"no {hintName} among {string.Join(", ", run.GeneratedSources.Keys)}");
        var match = Regex.Match(run.GeneratedSources[hintName], "SourceHash => \"([0-9a-f]+)\"");
        Assert.True(match.Success, $"{hintName} has no source hash");
        return match.Groups[1].Value;
    }
}
