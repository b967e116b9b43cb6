using System.Text.Json.Nodes;
using Distil.Cli;
using Distil.Pipelines;
using Distil.Tests.Support;
using NUnit.Framework;

namespace Distil.Tests.Pipelines.PackageSteps;

/// <summary>
/// The step seam: a kind declared outside Distil (<see cref="ShoutStep"/>) is used fluently, read
/// from a pipeline file strictly, kept in the run store like a built-in, and listed with its keys.
/// </summary>
[NonParallelizable] // ShoutStep.Calls is shared
public class PackageStepKindTests
{
    private TempFolder _temp = null!;

    [OneTimeSetUp]
    public void RegisterTheKind() => PipelineStepKinds.Register(new ShoutFileKind());

    [SetUp]
    public void CreateWorkFolder()
    {
        _temp = new TempFolder("distil-package-step-");
        ShoutStep.Calls = 0;
    }

    [TearDown]
    public void DeleteWorkFolder() => _temp.Dispose();

    private static JsonObject[] Texts() => [new() { ["text"] = "hi" }, new() { ["text"] = "bye" }];

    [Test]
    public async Task A_package_step_runs_fluently_and_a_resumed_run_replays_its_rows()
    {
        async Task<List<string?>> RunAsync()
        {
            var pipeline = Pipeline.Create("loud");
            pipeline.RunDirectory = Path.Combine(_temp.Path, "run");
            pipeline.Load(Texts()).Shout(suffix: "?!");
            var result = await pipeline.RunAsync(new PipelineRunOptions { Progress = ProgressMode.None });
            return (await result.Dataset.ToListAsync()).Select(r => (string?)r["text_loud"]).ToList();
        }

        var first = await RunAsync();
        var second = await RunAsync();

        Assert.That(first, Is.EqualTo(new[] { "HI?!", "BYE?!" }));
        Assert.That(second, Is.EqualTo(first));
        Assert.That(ShoutStep.Calls, Is.EqualTo(2), "the second run replays the kept rows instead of calling the step again");
    }

    [Test]
    public async Task A_package_step_declares_its_column_before_the_run_and_names_are_unique()
    {
        var pipeline = Pipeline.Create("loud");
        var loud = pipeline.Load(Texts()).Shout();

        Assert.That((await pipeline.ValidateAsync()).ToString(), Does.Contain("text_loud"));
        Assert.That(loud.Name, Is.EqualTo("shout"));
        Assert.That(loud.Shout("text_loud").Name, Is.EqualTo("shout_2"));
        var twice = Assert.Throws<ArgumentException>(() => loud.Shout(name: "shout"))!;
        Assert.That(twice.Message, Does.StartWith("Pipeline 'loud' has a step named 'shout' already"));
        var step = new ShoutStep("again", "text", "!");
        loud.Then(step);
        Assert.That(() => loud.Then(step), Throws.ArgumentException.With.Message.StartsWith("Step 'again' is in a pipeline already"));
    }

    [Test]
    public async Task A_pipeline_file_names_a_registered_kind_and_its_options()
    {
        var file = Write("""{ "name": "loud", "shout": { "column": "text", "suffix": "~" }, "after": "texts" }""");

        var pipeline = PipelineFile.Load(file, null, Path.Combine(_temp.Path, "run"), _ => throw new AssertionException("no task here"));
        var result = await pipeline.RunAsync(new PipelineRunOptions { Progress = ProgressMode.None });

        Assert.That(File.ReadAllText(Path.Combine(_temp.Path, "out.jsonl")), Does.Contain("\"text_loud\":\"HI~\""));
        Assert.That(result.Completed, Is.True);
    }

    [TestCase("""{ "name": "loud", "shout": { "colum": "text" }, "after": "texts" }""",
        "line 5, column 34: step 'loud' (shout): \"shout\" has no key \"colum\"; did you mean \"column\"?")]
    [TestCase("""{ "name": "loud", "shout": { "column": 3 }, "after": "texts" }""",
        "step 'loud' (shout): \"column\" must be a non-empty string.")]
    [TestCase("""{ "name": "loud", "shout": {}, "after": ["texts", "texts"] }""",
        "step 'loud' (shout): takes one step before it in \"after\"; it has 2.")]
    public void A_registered_kind_is_read_strictly(string step, string message)
    {
        var file = Write(step);

        var error = Assert.Throws<UsageException>(() => PipelineFile.Load(file, null, Path.Combine(_temp.Path, "run"), _ => null!))!;

        Assert.That(error.Message, Is.EqualTo($"distil run: {file}: {message}"));
    }

    [Test]
    public void The_schema_and_the_kind_list_hold_a_registered_kind()
    {
        var schema = PipelineFileSchema.Build().ToJsonString();

        Assert.That(PipelineFileKeys.KindNames, Does.Contain("shout").And.Contain("format_sft").And.Contain("format_dpo").And.Contain("format_tools"));
        Assert.That(schema, Does.Contain("\"shout\"").And.Contain("Put after it (default !)."));
        Assert.That(() => PipelineStepKinds.Register(new OtherShout()), Throws.ArgumentException.With.Message.Contains("'shout' is registered already"));
    }

    private sealed class OtherShout : PipelineFileStepKind
    {
        public override PipelineFileKey Key { get; } = PipelineFileKey.Options("shout", "Another.");

        public override StepHandle Build(PipelineFileStepContext context) => context.Single();
    }

    private string Write(string step)
    {
        File.WriteAllLines(Path.Combine(_temp.Path, "texts.jsonl"), ["""{"text": "hi"}"""]);
        var path = Path.Combine(_temp.Path, "pipeline.json");
        File.WriteAllText(path, $$"""
            {
              "name": "loud",
              "steps": [
                { "name": "texts", "load": "texts.jsonl" },
                {{step}},
                { "name": "out", "write": "out.jsonl", "after": "loud" }
              ]
            }
            """.ReplaceLineEndings("\n"));
        return path;
    }
}
