using System.Text.Json.Nodes;
using Distil.Pipelines;
using Distil.Tasks;
using Distil.Testing;
using Distil.Tests.Providers;
using Distil.Tests.Support;
using Microsoft.Extensions.AI;
using NUnit.Framework;

namespace Distil.Tests.Pipelines;

/// <summary>Pipelines end to end: steps, branches and joins, order, validation, parameters.</summary>
public class PipelineTests
{
    private TempFolder _temp = null!;

    [SetUp]
    public void CreateRunFolder() => _temp = new TempFolder("distil-pipeline-");

    [TearDown]
    public void DeleteRunFolder() => _temp.Dispose();

    private Pipeline NewPipeline(string name = "test") => Pipeline.Create(name) is var p ? Configure(p) : null!;

    private Pipeline Configure(Pipeline pipeline)
    {
        pipeline.RunDirectory = Path.Combine(_temp.Path, pipeline.Name);
        return pipeline;
    }

    private static PipelineRunOptions Quiet => new() { Progress = ProgressMode.None };

    private static IEnumerable<JsonObject> Questions(int count) =>
        Enumerable.Range(0, count).Select(i => new JsonObject { ["id"] = i, ["instruction"] = $"question {i}" });

    // Answers after a random delay, so that rows finish out of order.
    private static ScriptedChatClient Answerer(string prefix = "answer to ")
    {
        var random = new Random(3);
        return new ScriptedChatClient().Otherwise(r =>
        {
            Thread.Sleep(random.Next(0, 3));
            return ScriptedChatClient.Answer(prefix + r.UserText, 3, 2);
        });
    }

    [Test]
    public async Task A_source_written_as_it_is_has_its_rows_as_the_result_dataset()
    {
        // A load is not stored: the dataset of load -> write reads the rows the load took from the source again.
        var pipeline = NewPipeline();
        var output = Path.Combine(_temp.Path, "copy.jsonl");
        pipeline.Load(Questions(5)).Write(RowSinks.File(output));

        var result = await pipeline.RunAsync(Quiet);
        var preview = await pipeline.RunAsync(new PipelineRunOptions { Progress = ProgressMode.None, SourceRowLimit = 2 });

        Assert.That(result.Dataset.Count, Is.EqualTo(5));
        Assert.That((await result.Dataset.ToListAsync()).Select(r => (int)r["id"]!), Is.EqualTo(new[] { 0, 1, 2, 3, 4 }));
        Assert.That(File.ReadAllLines(output), Has.Length.EqualTo(5));
        Assert.That((await preview.Dataset.ToListAsync()).Select(r => (string?)r["instruction"]), Is.EqualTo(new[] { "question 0", "question 1" }), "a preview's dataset is the rows it took");
    }

    [Test]
    public async Task Rows_stream_through_steps_and_come_out_in_input_order()
    {
        var result = await NewPipeline()
            .Load(Questions(200))
            .Then(new TextGeneration { Llm = Answerer(), MaxConcurrency = 8 })
            .Filter(row => (int)row["id"]! % 10 != 3, reads: ["id"])
            .RenameColumns(new Dictionary<string, string> { ["generation"] = "answer" })
            .KeepColumns("id", "answer")
            .RunAsync(Quiet);

        var rows = await result.Dataset.ToListAsync();
        Assert.That(result.Completed);
        Assert.That(rows.Select(r => (int)r["id"]!), Is.EqualTo(Enumerable.Range(0, 200).Where(i => i % 10 != 3)));
        Assert.That(rows.Select(r => (string?)r["answer"]), Has.All.StartsWith("answer to question"));
        Assert.That(rows.All(r => (string?)r["answer"] == $"answer to question {r["id"]}"), "every answer is on its own row");
        Assert.That(rows[0].Select(p => p.Key), Is.EqualTo(new[] { "id", "answer" }));
    }

    [Test]
    public async Task Branches_get_their_own_copies_and_a_join_matches_rows_by_source_row()
    {
        var pipeline = NewPipeline();
        var questions = pipeline.Load(Questions(50));
        var polite = questions.Then(new TextGeneration { Name = "polite", Llm = Answerer("Dear user, "), MaxConcurrency = 4 });
        var blunt = questions
            .Filter(row => (int)row["id"]! % 2 == 0, reads: ["id"])
            .Then(new TextGeneration { Name = "blunt", Llm = Answerer("Fine: "), MaxConcurrency = 3 });
        pipeline.GroupColumns(["generation"], null, polite, blunt).KeepColumns("id", "grouped_generation", "distilabel_metadata");

        var rows = await (await pipeline.RunAsync(Quiet)).Dataset.ToListAsync();

        Assert.That(rows.Select(r => (int)r["id"]!), Is.EqualTo(Enumerable.Range(0, 50).Where(i => i % 2 == 0)), "rows only one branch kept are dropped");
        foreach (var row in rows)
        {
            Assert.That(row["grouped_generation"]!.AsArray().Select(g => (string?)g),
                Is.EqualTo(new[] { $"Dear user, question {row["id"]}", $"Fine: question {row["id"]}" }));
            Assert.That(row["distilabel_metadata"]!.AsObject().Select(p => p.Key), Does.Contain("raw_output_polite").And.Contain("raw_output_blunt"));
        }
    }

    [Test]
    public async Task Expand_map_and_global_steps()
    {
        var result = await NewPipeline()
            .Load([new JsonObject { ["topic"] = "a", ["drafts"] = new JsonArray("x", "yy") }, new JsonObject { ["topic"] = "b", ["drafts"] = new JsonArray("zzz") }])
            .ExpandColumns(new Dictionary<string, string> { ["drafts"] = "draft" })
            .Map(row => { row["length"] = ((string)row["draft"]!).Length; return row; }, reads: ["draft"], writes: ["length"])
            .Global(rows => rows.OrderByDescending(r => (int)r["length"]!), reads: ["length"])
            .RunAsync(Quiet);

        var rows = await result.Dataset.ToListAsync();
        Assert.That(rows.Select(r => $"{r["topic"]}:{r["draft"]}:{r["length"]}"), Is.EqualTo(new[] { "b:zzz:3", "a:yy:2", "a:x:1" }));
    }

    [Test]
    public void A_missing_column_is_an_error_before_any_call_naming_the_step_the_column_and_what_is_there()
    {
        var llm = Answerer();
        var pipeline = NewPipeline();
        pipeline.Load(Questions(3))
            .Then(new TextGeneration { Llm = llm })
            .Then(new UltraFeedback { Llm = llm });

        var error = Assert.ThrowsAsync<PipelineException>(async () => await pipeline.RunAsync(Quiet))!;

        Assert.That(error.Message, Does.Contain("Step 'ultrafeedback' (task) needs column 'generations'"));
        Assert.That(error.Message, Does.Contain("Columns there: distilabel_metadata, generation, id, instruction, model_name."));
        Assert.That(error.Message, Does.Contain("Did you mean 'generation'?"));
        Assert.That(llm.Requests, Is.Empty);
    }

    [Test]
    public void Duplicate_names_and_unconnected_joins_are_errors()
    {
        var pipeline = NewPipeline();
        var load = pipeline.Load(Questions(3));
        load.Then(new TextGeneration { Llm = Answerer() });
        load.Then(new TextGeneration { Llm = Answerer() });

        var error = Assert.ThrowsAsync<PipelineException>(async () => await pipeline.RunAsync(Quiet))!;

        Assert.That(error.Message, Does.Contain("2 steps are named 'text_generation'; step names must be unique"));
        Assert.That(() => pipeline.CombineOutputs(load), Throws.ArgumentException.With.Message.Contains("joins two branches or more"));
    }

    [Test]
    public void Unconnected_steps_and_cycles_are_errors()
    {
        var pipeline = NewPipeline();
        var load = pipeline.Load(Questions(3));
        var first = pipeline.AddTask(new TextGeneration { Name = "first", Llm = Answerer() });
        var second = pipeline.AddTask(new TextGeneration { Name = "second", Llm = Answerer() });
        pipeline.AddTask(new TextGeneration { Name = "alone", Llm = Answerer() });
        pipeline.Connect(first, second);
        pipeline.Connect(second, first);

        var error = Assert.ThrowsAsync<PipelineException>(async () => await pipeline.RunAsync(Quiet))!;

        Assert.That(error.Message, Does.Contain("Step 'alone' (task) is not connected to any step before it."));
        Assert.That(error.Message, Does.Contain("The steps first, second form a cycle"));
        Assert.That(error.Message, Does.Contain("Step 'load_data' (load) feeds no step"), "every problem is listed at once");
        Assert.That(load.Name, Is.EqualTo("load_data"));
    }

    [Test]
    public async Task Runtime_parameters_change_task_and_LLM_settings_and_misspelt_names_get_a_suggestion()
    {
        var llm = Answerer();
        var pipeline = NewPipeline();
        var task = new TextGeneration { Llm = llm };
        pipeline.Load(Questions(2)).Then(task);

        await pipeline.RunAsync(new PipelineRunOptions
        {
            Progress = ProgressMode.None,
            Parameters = RuntimeParameters.Parse(["text_generation.temperature=0.25", "text_generation.num_generations=2", "text_generation.system_prompt=Be brief."]),
        });

        Assert.That(llm.Requests, Has.Count.EqualTo(4));
        Assert.That(llm.Requests.Select(r => r.Options?.Temperature), Has.All.EqualTo(0.25f));
        Assert.That(llm.Requests[0].Messages[0].Text, Is.EqualTo("Be brief."));

        var misspelt = Assert.ThrowsAsync<PipelineException>(async () => await pipeline.RunAsync(new PipelineRunOptions
        {
            Parameters = RuntimeParameters.Parse(["text_generation.temprature=0.5"]),
        }))!;
        Assert.That(misspelt.Message, Does.Contain("task 'text_generation' has no parameter 'temprature'. Did you mean 'temperature'?"));

        var unknownStep = Assert.ThrowsAsync<PipelineException>(async () => await pipeline.RunAsync(new PipelineRunOptions
        {
            Parameters = RuntimeParameters.FromJson("""{"text_generaton": {"seed": 1}}"""),
        }))!;
        Assert.That(unknownStep.Message, Does.Contain("there is no step 'text_generaton'. Did you mean 'text_generation'?"));

        var badValue = Assert.ThrowsAsync<PipelineException>(async () => await pipeline.RunAsync(new PipelineRunOptions
        {
            Parameters = RuntimeParameters.Parse(["text_generation.num_generations=0"]),
        }))!;
        Assert.That(badValue.Message, Does.Contain("0 is not a valid value for 'num_generations'").And.Contain("NumGenerations must be 1 or more"));
    }

    [Test]
    public async Task A_failing_step_stops_the_run_with_its_name_and_keeps_what_was_finished()
    {
        var pipeline = NewPipeline();
        var rows = Questions(30).ToList();
        rows[20]["instruction"] = new JsonArray(); // not text: the task refuses row 20
        pipeline.Load(rows).Then(new TextGeneration { Llm = Answerer(), MaxConcurrency = 2 });

        var error = Assert.ThrowsAsync<PipelineException>(async () => await pipeline.RunAsync(Quiet))!;

        Assert.That(error.Message, Does.Contain("Step 'text_generation' (task) failed").And.Contain("row 20").And.Contain("instruction"));
        var store = Path.Combine(pipeline.RunDirectoryPath, "distil-run.db");
        Assert.That(RunStore.StoredKeys(store, "text_generation"), Has.Count.GreaterThanOrEqualTo(15), "rows before the bad one were committed");
    }

    [Test]
    public void A_join_across_a_step_that_needs_all_its_rows_is_refused_before_it_could_hang()
    {
        var pipeline = NewPipeline();
        var load = pipeline.Load(Questions(3));
        var sorted = load.Global(rows => rows.Reverse());
        pipeline.CombineOutputs(sorted, load.KeepColumns("id"));

        var error = Assert.ThrowsAsync<PipelineException>(async () => await pipeline.RunAsync(Quiet))!;

        Assert.That(error.Message, Does.Contain("Step 'combine_outputs' (combine_outputs) joins a branch through 'global', which needs all its rows"));
    }

    [Test]
    public void A_join_of_branches_that_split_rows_differently_says_how_to_fix_it()
    {
        var pipeline = NewPipeline();
        var load = pipeline.Load(Questions(3));
        var twice = load.Then(new TextGeneration { Name = "twice", Llm = Answerer(), NumGenerations = 2 });
        pipeline.CombineOutputs(twice, load.KeepColumns("id"));

        var error = Assert.ThrowsAsync<PipelineException>(async () => await pipeline.RunAsync(Quiet))!;

        Assert.That(error.Message, Does.Contain("its branches split rows differently ('twice' row 0.0, 'keep_columns' row 0)")
            .And.Contain("GroupGenerations = true"));
    }

    [Test]
    public void A_task_that_cannot_use_its_client_is_refused_before_any_call()
    {
        var llm = Answerer();
        var pipeline = NewPipeline();
        pipeline.Load([new JsonObject()]).Then(new Magpie { Llm = llm });

        var error = Assert.ThrowsAsync<PipelineException>(async () => await pipeline.RunAsync(Quiet))!;

        Assert.That(error.Message, Does.Contain("Step 'magpie' (task): Task 'magpie' needs an LLM that continues its own chat template"));
        Assert.That(llm.Requests, Is.Empty);
    }

    [Test]
    public void Branches_that_join_one_column_with_two_types_are_refused_before_any_call()
    {
        var llm = Answerer();
        var pipeline = Configure(Pipeline.Create("conflict"));
        var questions = pipeline.Load(Questions(3));
        var answered = questions.Then(new TextGeneration { Llm = llm }).KeepColumns("id", "generation");
        var numbered = questions.RenameColumns(new Dictionary<string, string> { ["id"] = "generation" });
        pipeline.CombineOutputs(answered, numbered);

        var error = Assert.ThrowsAsync<PipelineException>(async () => await pipeline.ValidateAsync());

        Assert.That(error!.Message, Does.Contain("joins column 'generation' as string from 'keep_columns' and as int64 from 'rename_columns'"));
        Assert.That(llm.Requests, Is.Empty);
    }

    [Test]
    public async Task A_resumed_run_makes_the_same_random_choices_as_an_uninterrupted_one()
    {
        // The answer depends on the prompt, so a different mutation shows in the row.
        static ScriptedChatClient Evolver(CancellationTokenSource? stopAt = null) => new ScriptedChatClient().Otherwise(r =>
        {
            if (r.CallNumber == 25) stopAt?.Cancel();
            return ScriptedChatClient.Answer($"evolved {r.UserText.Length} {r.UserText.Split('\n')[0].Length}");
        });
        Pipeline Build(string name, IChatClient llm)
        {
            var pipeline = Configure(Pipeline.Create(name));
            pipeline.Load(Questions(60)).Then(new EvolInstruct { Llm = llm, NumEvolutions = 2, MaxConcurrency = 4 });
            return pipeline;
        }
        var reference = await (await Build("uninterrupted", Evolver()).RunAsync(Quiet)).Dataset.ToListAsync();

        using var stop = new CancellationTokenSource();
        Assert.That(async () => await Build("resumed", Evolver(stop)).RunAsync(Quiet, stop.Token), Throws.InstanceOf<OperationCanceledException>());
        var kept = RunStore.StoredKeys(Path.Combine(_temp.Path, "resumed", "distil-run.db"), "evol_instruct").Count;
        var resuming = Evolver();
        var resumed = await (await Build("resumed", resuming).RunAsync(Quiet)).Dataset.ToListAsync();

        Assert.That(kept, Is.InRange(1, 59), "the stopped run kept some rows");
        // Two evolutions a row for the rows not kept; a row stopped between its two calls has its
        // first answer in the run directory's answers (answers.db), so at most 4 (MaxConcurrency) fewer.
        Assert.That(resuming.Requests, Has.Count.InRange((60 - kept) * 2 - 4, (60 - kept) * 2), "the kept rows were reused, not asked again");
        Assert.That(resumed.Select(r => r.ToJsonString()), Is.EqualTo(reference.Select(r => r.ToJsonString())));
    }

    [Test]
    public void A_task_setting_wins_over_an_LLM_option_of_the_same_name()
    {
        var task = new EvolInstruct { Llm = Answerer() };

        RuntimeParameters.ApplyTo(task, ["seed=7", "temperature=0.5"]);

        Assert.That((task.Seed, task.GenerationOptions?.Seed, task.GenerationOptions?.Temperature), Is.EqualTo((7, (long?)null, 0.5f)));
        Assert.That(RuntimeParameters.NamesFor(task).Count(n => n == "seed"), Is.EqualTo(1));
    }
}
