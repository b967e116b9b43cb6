using System.Text.Json.Nodes;
using Distil.Pipelines;
using Distil.Tasks;
using Distil.Testing;
using Distil.Tests.Support;
using NUnit.Framework;

namespace Distil.Tests.Pipelines.TypedSteps;

/// <summary>
/// Each typed step kind runs in a pipeline before a task, resumes from the store without calling
/// its code again, and runs again when one of its settings changes.
/// </summary>
public class TypedStepTests
{
    private TempFolder _temp = null!;

    [SetUp]
    public void CreateFolder() => _temp = new TempFolder("distil-typed-steps-");

    [TearDown]
    public void DeleteFolder() => _temp.Dispose();

    private static ScriptedChatClient Llm() => new(r => ScriptedChatClient.Answer("answer to " + r.UserText));

    private Pipeline NewPipeline(string name)
    {
        var pipeline = Pipeline.Create(name);
        pipeline.RunDirectory = Path.Combine(_temp.Path, name);
        return pipeline;
    }

    private static async Task<List<JsonObject>> RunAsync(Pipeline pipeline) =>
        await (await pipeline.RunAsync(new PipelineRunOptions { Progress = ProgressMode.None })).Dataset.ToListAsync();

    private static JsonObject[] Texts() =>
    [
        new() { ["text"] = "  why is the sky blue ", ["id"] = 1 },
        new() { ["text"] = "what is rain", ["id"] = 2 },
    ];

    [Test]
    public async Task A_step_adds_its_output_columns_keeps_the_rows_and_is_not_called_again_on_resume()
    {
        var (normalize, llm) = (new Normalize(), Llm());
        var pipeline = NewPipeline("single");
        pipeline.Load(Texts()).Then(normalize).Then(new TextGeneration { Llm = llm });

        var rows = await RunAsync(pipeline);

        Assert.That(normalize.Calls, Is.EqualTo(2));
        Assert.That(rows.Select(r => (string?)r["instruction"]), Is.EqualTo(new[] { "why is the sky blue", "what is rain" }));
        Assert.That(rows.Select(r => (int?)r["length"]), Is.EqualTo(new[] { 19, 12 }));
        Assert.That(rows.Select(r => (int?)r["id"]), Is.EqualTo(new[] { 1, 2 }), "the input's other columns stay");
        Assert.That((string?)rows[0]["text"], Is.EqualTo("  why is the sky blue "), "the input column stays as it was");
        Assert.That((string?)rows[0]["generation"], Is.EqualTo("answer to why is the sky blue"));

        var (again, llmAgain) = (new Normalize(), Llm());
        var resumed = NewPipeline("single");
        resumed.Load(Texts()).Then(again).Then(new TextGeneration { Llm = llmAgain });
        var replayed = await RunAsync(resumed);

        Assert.That(again.Calls, Is.Zero, "stored rows are replayed, not processed again");
        Assert.That(llmAgain.Requests, Is.Empty);
        Assert.That(replayed.Select(r => r.ToJsonString()), Is.EqualTo(rows.Select(r => r.ToJsonString())));
    }

    [Test]
    public async Task A_changed_setting_runs_the_step_and_the_task_after_it_again()
    {
        var pipeline = NewPipeline("setting");
        pipeline.Load(Texts()).Then(new Normalize()).Then(new TextGeneration { Llm = Llm() });
        await RunAsync(pipeline);

        var (changed, llm) = (new Normalize { Suffix = "?" }, Llm());
        var rerun = NewPipeline("setting");
        rerun.Load(Texts()).Then(changed).Then(new TextGeneration { Llm = llm });
        var rows = await RunAsync(rerun);

        Assert.That(changed.Calls, Is.EqualTo(2));
        Assert.That(llm.Requests, Has.Count.EqualTo(2));
        Assert.That((string?)rows[1]["generation"], Is.EqualTo("answer to what is rain?"));
    }

    [Test]
    public async Task A_many_step_makes_a_row_per_output_and_resumes_without_calling_it()
    {
        var (split, llm) = (new SplitWords(), Llm());
        var pipeline = NewPipeline("many");
        pipeline.Load(Texts()).Then(split).Then(new TextGeneration { Llm = llm });
        var rows = await RunAsync(pipeline);

        Assert.That(split.Calls, Is.EqualTo(2));
        Assert.That(rows.Select(r => (string?)r["instruction"]), Is.EqualTo(new[] { "why", "is", "the", "sky", "blue", "what", "is", "rain" }));
        Assert.That(rows.Select(r => (int?)r["id"]), Is.EqualTo(new[] { 1, 1, 1, 1, 1, 2, 2, 2 }), "each output is a copy of its row");
        Assert.That(llm.Requests, Has.Count.EqualTo(8));

        var again = new SplitWords();
        var resumed = NewPipeline("many");
        resumed.Load(Texts()).Then(again).Then(new TextGeneration { Llm = Llm() });
        Assert.That(await RunAsync(resumed), Has.Count.EqualTo(8));
        Assert.That(again.Calls, Is.Zero);
    }

    [Test]
    public async Task A_global_step_sees_all_rows_gives_only_its_output_columns_and_resumes_without_calling_it()
    {
        var (longest, llm) = (new Longest(), Llm());
        var pipeline = NewPipeline("global");
        pipeline.Load(Texts()).Then(longest).Then(new TextGeneration { Llm = llm });
        var rows = await RunAsync(pipeline);

        Assert.That(longest.Calls, Is.EqualTo(1));
        Assert.That(rows, Has.Count.EqualTo(1));
        Assert.That(rows[0].Select(p => p.Key), Is.SupersetOf(new[] { "instruction", "id", "generation" }).And.Not.Contains("text"));
        Assert.That((int?)rows[0]["id"], Is.EqualTo(1));

        var again = new Longest();
        var resumed = NewPipeline("global");
        resumed.Load(Texts()).Then(again).Then(new TextGeneration { Llm = Llm() });
        Assert.That(await RunAsync(resumed), Has.Count.EqualTo(1));
        Assert.That(again.Calls, Is.Zero);

        var more = new Longest { Count = 2 };
        var changed = NewPipeline("global");
        changed.Load(Texts()).Then(more).Then(new TextGeneration { Llm = Llm() });
        Assert.That(await RunAsync(changed), Has.Count.EqualTo(2));
        Assert.That(more.Calls, Is.EqualTo(1), "a changed setting runs it again");
    }

    [Test]
    public async Task A_generator_step_starts_a_branch_and_resumes_without_generating_again()
    {
        var (topics, llm) = (new Topics(), Llm());
        var pipeline = NewPipeline("generator");
        pipeline.Start(topics).Then(new TextGeneration { Llm = llm });
        var rows = await RunAsync(pipeline);

        Assert.That(topics.Calls, Is.EqualTo(1));
        Assert.That(rows.Select(r => (string?)r["generation"]), Is.EqualTo(new[] { "answer to sql 1", "answer to sql 2", "answer to regex 1", "answer to regex 2" }));
        Assert.That(rows.Select(r => (int?)r["level"]), Is.EqualTo(new[] { 1, 2, 1, 2 }));

        var (again, llmAgain) = (new Topics(), Llm());
        var resumed = NewPipeline("generator");
        resumed.Start(again).Then(new TextGeneration { Llm = llmAgain });
        Assert.That(await RunAsync(resumed), Has.Count.EqualTo(4));
        Assert.That(again.Calls, Is.Zero, "Generate ended before: its rows are replayed");
        Assert.That(llmAgain.Requests, Is.Empty);

        var (more, llmMore) = (new Topics { Levels = 3 }, Llm());
        var changed = NewPipeline("generator");
        changed.Start(more).Then(new TextGeneration { Llm = llmMore });
        Assert.That(await RunAsync(changed), Has.Count.EqualTo(6));
        Assert.That(more.Calls, Is.EqualTo(1));
        // The task recomputes, but answers kept in the run directory are reused by row and request:
        // rows 0 and 1 (sql 1, sql 2) ask what they asked before; rows 2 to 5 ask something new.
        Assert.That(llmMore.Requests, Has.Count.EqualTo(4));
    }

    [Test]
    public async Task A_row_without_the_input_column_stops_the_run_naming_the_step_the_row_and_the_column()
    {
        var pipeline = NewPipeline("unreadable");
        pipeline.Load([new JsonObject { ["text"] = "fine" }, new JsonObject { ["id"] = 3 }]).Then(new Normalize());

        Assert.That(async () => await RunAsync(pipeline),
            Throws.TypeOf<PipelineException>().With.Message.Contains("Step 'normalize' (normalize) could not read row 1").And.Message.Contains("column 'text'"));
    }

    [Test]
    public void Typed_steps_take_their_kind_as_name_made_unique_and_declare_their_columns()
    {
        var pipeline = NewPipeline("names");
        var first = pipeline.Load(Texts()).Then(new Normalize());
        var second = first.Then(new Normalize());
        var named = second.Then(new Normalize { Name = "clean_again" });

        Assert.That((first.Name, second.Name, named.Name), Is.EqualTo(("normalize", "normalize_2", "clean_again")));
        var step = new Normalize();
        Assert.That(step.RequiredColumns, Is.EqualTo(new[] { "text" }));
        Assert.That(step.OutputSchema.ToString(), Does.Contain("instruction").And.Contain("length"));
        Assert.That(step.StepSettings.Select(s => s.Name), Is.EqualTo(new[] { "suffix" }));
        step.StepSettings[0].SetValue(step, JsonValue.Create("!"));
        Assert.That(step.Suffix, Is.EqualTo("!"));
        Assert.That(() => new Topics().StepSettings[0].SetValue(new Topics(), JsonValue.Create("many")), Throws.TypeOf<FormatException>());
    }
}
