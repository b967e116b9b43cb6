using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Distil.Tests.Support;
using NUnit.Framework;

namespace Distil.Tests.Cli;

/// <summary>
/// The mapping pattern of samples/pipelines/dpo-recipe.json (answers written to a mapped
/// <c>generations</c>, a judge reading it as its <c>responses</c> and writing <c>ratings</c>), on
/// rows whose question is in a column of another name, through everything that describes a run:
/// <c>--dry-run</c>, <c>--limit</c>, the run itself, <c>distil report</c> and the dataset card.
/// With the real tiny model, so the dry run's tokens can be compared with those the run reports.
/// </summary>
public class MappingPatternTests
{
    private TempFolder _temp = null!;

    [SetUp]
    public void CreateFolder() => _temp = new TempFolder("distil-mapping-pattern-");

    [TearDown]
    public void DeleteFolder() => _temp.Dispose();

    private string Pipeline()
    {
        File.WriteAllLines(Path.Combine(_temp.Path, "questions.jsonl"),
            new[] { "Why is the sky blue?", "What is a prime number?", "How do bees make honey?" }.Select(q => new JsonObject { ["question"] = q }.ToJsonString()));
        var file = Path.Combine(_temp.Path, "mapped-dpo.json");
        File.WriteAllText(file, """
            { "name": "mapped-dpo", "steps": [
              { "name": "rows", "load": "questions.jsonl" },
              { "name": "answers", "task": "text_generation", "after": "rows",
                "params": { "num_generations": 2, "group_generations": true, "max_new_tokens": 6, "seed": 2 },
                "input_mappings": { "instruction": "question" }, "output_mappings": { "generation": "generations" } },
              { "name": "judge", "task": "quality_scorer", "after": "answers", "structured": true,
                "params": { "max_new_tokens": 48, "seed": 3 },
                "input_mappings": { "instruction": "question", "responses": "generations" }, "output_mappings": { "scores": "ratings" } },
              { "name": "keep", "keep_columns": ["question", "generations", "ratings"], "after": "judge" },
              { "name": "out", "write": "dataset", "after": "keep" } ] }
            """);
        return file;
    }

    private static async Task<string> Distil(params string[] arguments)
    {
        using var child = ChildProgram.Distil.Start(arguments);
        await child.Process.WaitForExitAsync();
        Assert.That(child.Process.ExitCode, Is.Zero, $"distil {string.Join(' ', arguments)}:\n{child.Output}\n{child.Error}");
        return child.Output;
    }

    private static long Number(string text) => long.Parse(text, NumberStyles.AllowThousands, CultureInfo.InvariantCulture);

    [Test]
    public async Task Dry_run_limit_report_and_card_all_see_the_mapped_columns()
    {
        var file = Pipeline();
        var run = Path.Combine(_temp.Path, "run");
        string[] common = ["run", "--pipeline", file, "--model", $"local:{TestModel.Path}", "--run-dir", run];

        // --dry-run formats the rows as the task sees them (question read as its instruction).
        var dry = await Distil([.. common, "--dry-run"]);
        var estimated = Regex.Match(dry, @"answers \(TextGeneration.*\n\s+rows 3, calls 6, input tokens ([\d,]+) \(the GGUF vocabulary");
        Assert.That(estimated.Success, Is.True, dry);
        Assert.That(dry, Does.Contain("generations: list<string>").And.Contain("ratings: list<"));

        // --limit: a preview whose table carries the mapped names.
        var preview = await Distil([.. common, "--limit", "2"]);
        Assert.That(preview, Does.Contain("question").And.Contain("generations").And.Contain("ratings").And.Contain("Preview of the first 2 rows"));

        // The run: its own count of input tokens is the dry run's.
        var output = await Distil(common);
        var reported = Regex.Match(output, @"answers: 6 calls this run, 0 failed, 0 answers unreadable, 0 broke a rule, ([\d,]+) input");
        Assert.That(reported.Success, Is.True, output);
        Assert.That(Number(estimated.Groups[1].Value), Is.EqualTo(Number(reported.Groups[1].Value)), "the dry run counts the tokens the run sends");

        // The report reads the answers where the mapping put them.
        var report = Path.Combine(_temp.Path, "report.html");
        await Distil("report", run, "--output", report);
        var html = File.ReadAllText(report);
        var answers = Regex.Match(html, "<section class=\"task\"[^>]*data-step=\"answers\">(.*?)</section>", RegexOptions.Singleline).Groups[1].Value;
        Assert.That(answers, Does.Contain("data-stat=\"generations\">6<"));
        Assert.That(answers, Does.Contain("data-stat=\"unparsed-generations\">0<"), "answers in the mapped column are read");
        Assert.That(answers, Does.Contain("generations"));
        var judge = Regex.Match(html, "<section class=\"task\"[^>]*data-step=\"judge\">(.*?)</section>", RegexOptions.Singleline).Groups[1].Value;
        Assert.That(judge, Does.Contain("ratings").And.Not.Contain(">scores<"));

        // The card: the mapped names, and only the columns the files hold (keep dropped the metadata).
        var card = File.ReadAllText(Path.Combine(_temp.Path, "dataset", "README.md"));
        // The columns table lists the files' columns; the steps' sections below it may name the task's
        // own settings (metadata_column) and inputs, which are not columns of the files.
        var columns = Regex.Match(card, "## Columns\n(.*?)(\n##|$)", RegexOptions.Singleline).Groups[1].Value;
        Assert.That(columns, Does.Contain("| `question` |").And.Contain("| `generations` |").And.Contain("| `ratings` |"));
        Assert.That(columns, Does.Not.Contain("distilabel_metadata").And.Not.Contain("`generation`").And.Not.Contain("`scores`"));
    }
}
