using System.Text.Json.Nodes;
using Distil.LlamaSharp;
using Distil.Pipelines;
using Distil.Tasks;
using Distil.Testing;
using Distil.Tests.Providers;
using Distil.Tests.Support;
using Microsoft.Extensions.AI;
using Microsoft.ML.Tokenizers;
using NUnit.Framework;

namespace Distil.Tests.Pipelines;

/// <summary>The estimate before a run: no call, and the tokens of the very prompts a real run then sends.</summary>
public class EstimateTests : FakeServerTests
{
    private TempFolder _temp = null!;

    [SetUp]
    public void CreateFolder() => _temp = new TempFolder("distil-estimate-");

    [TearDown]
    public void DeleteFolder() => _temp.Dispose();

    private static IEnumerable<JsonObject> Questions(int count) =>
        Enumerable.Range(0, count).Select(i => new JsonObject { ["instruction"] = $"Explain, in {i + 2} sentences, why the sky at dusk turns {(i % 2 == 0 ? "red" : "violet")}.", ["noise"] = i });

    private Pipeline Build(string run, IChatClient llm, int rows, int generations = 2)
    {
        var pipeline = Pipeline.Create("estimate");
        pipeline.RunDirectory = Path.Combine(_temp.Path, run);
        pipeline.Load(Questions(rows))
            .KeepColumns("instruction")
            .Then(new TextGeneration
            {
                Llm = llm, NumGenerations = generations, SystemPrompt = "You are a patient physics teacher.",
                GenerationOptions = new ChatOptions { MaxOutputTokens = 100 },
            })
            .Then(new TextGeneration { Name = "follow_up", Llm = llm });
        return pipeline;
    }

    [Test]
    public async Task OpenAI_models_are_counted_with_their_tokenizer_exactly_as_the_run_then_sends()
    {
        var llm = FakeServerClients.Factory(Server).Create("openai:gpt-4o-mini");

        var estimate = await Build("run", llm, rows: 12).EstimateAsync(new EstimateOptions { Prices = new PriceTable().Set("gpt-4o-mini", 0.15m, 0.60m) });

        Assert.That(Server.RequestCount, Is.Zero, "the estimate calls nothing");
        var task = estimate.Tasks[0];
        Assert.That((task.Rows, task.Calls, task.ExactTokens, task.OutputTokenBound), Is.EqualTo(((long?)12, (long?)24, true, (long?)2400)));

        await Build("run", llm, rows: 12).RunAsync(new PipelineRunOptions { Progress = ProgressMode.None });
        // The same count, made independently from what the server received: o200k tokens of each
        // message, plus OpenAI's three tokens per message and three opening the answer.
        var tokenizer = TiktokenTokenizer.CreateForModel("gpt-4o-mini");
        var sent = Server.Requests.Where(r => r.Prompt.Contains("physics teacher", StringComparison.Ordinal)).ToList();
        Assert.That(sent, Has.Count.EqualTo(24));
        var counted = sent.Sum(r => r.Body["messages"]!.AsArray().Sum(m => 3 + tokenizer.CountTokens((string)m!["content"]!)) + 3);
        Assert.That(task.InputTokens, Is.EqualTo(counted));
        Assert.That(task.MinCost, Is.EqualTo(0.15m * counted / 1_000_000m));
        Assert.That(task.MaxCost, Is.EqualTo(task.MinCost + 0.60m * 2400 / 1_000_000m));

        var follow = estimate.Tasks[1];
        // A row per generation of the first task: 24 rows, exactly; their prompts hold its answers.
        Assert.That((follow.Step, follow.Rows, follow.Calls, follow.RowsAreExact, follow.InputTokens), Is.EqualTo(("follow_up", (long?)24, (long?)24, true, (long?)null)));
        Assert.That(follow.Note, Does.Contain("input tokens are counted once their prompts exist: they hold the answers of 'text_generation'"));
        Assert.That(estimate.ToString(), Does.Contain("rows 12, calls 24, input tokens " + counted.ToString("N0") + " (tiktoken for gpt-4o-mini)")
            .And.Contain("output tokens at most 2,400 (max_new_tokens 100)"));
    }

    [Test]
    public async Task Local_models_are_counted_with_the_GGUF_vocabulary_as_their_answers_report()
    {
        using var llm = new ChatClientFactory { Resilience = null }.AddLocalModels(contextSize: 512).Create($"local:{TestModel.Path}");
        var pipeline = Pipeline.Create("local-estimate");
        pipeline.RunDirectory = Path.Combine(_temp.Path, "local");
        pipeline.Load(Questions(3)).Then(new TextGeneration { Llm = llm, GenerationOptions = new ChatOptions { MaxOutputTokens = 4, Seed = 1 } });

        var estimate = await pipeline.EstimateAsync();
        var result = await pipeline.RunAsync(new PipelineRunOptions { Progress = ProgressMode.None });

        var reported = (await result.Dataset.ToListAsync()).Sum(r => (long)r["distilabel_metadata"]!["statistics_text_generation"]!["input_tokens"]!);
        Assert.That(estimate.Tasks[0].ExactTokens);
        Assert.That(estimate.Tasks[0].Tokenizer, Does.StartWith("the GGUF vocabulary of"));
        Assert.That(estimate.Tasks[0].InputTokens, Is.EqualTo(reported));
    }

    [Test]
    public async Task Models_without_a_known_tokenizer_get_a_stated_approximation()
    {
        var llm = FakeServerClients.Factory(Server).Create($"endpoint:{Server.BaseUrl}#my-fine-tune");

        var estimate = await Build("approx", llm, rows: 4, generations: 1).EstimateAsync();

        Assert.That(estimate.Tasks[0].ExactTokens, Is.False);
        Assert.That(estimate.ToString(), Does.Contain("input tokens ≈").And.Contain("(approximation: 4 characters a token)").And.Contain("cost unknown"));
    }

    private static TextGeneration Answer(IChatClient llm, string name, int generations = 1) =>
        new() { Name = name, Llm = llm, NumGenerations = generations, GenerationOptions = new ChatOptions { MaxOutputTokens = 10 } };

    [Test]
    public async Task A_task_after_a_grouping_step_gets_the_source_s_row_count_exactly()
    {
        var llm = FakeServerClients.Factory(Server).Create("openai:gpt-4o-mini");
        var pipeline = Pipeline.Create("grouped");
        pipeline.RunDirectory = Path.Combine(_temp.Path, "grouped");
        var questions = pipeline.Load(Questions(6)).KeepColumns("instruction");
        var answer = questions.Then(Answer(llm, "answer"));
        var answerB = questions.Then(Answer(llm, "answer_b"));
        pipeline.GroupColumns("both", ["generation", "model_name"], ["generations", "model_names"], answer, answerB)
            .Then(new UltraFeedback { Name = "judge", Llm = llm, GenerationOptions = new ChatOptions { MaxOutputTokens = 20 } });

        var estimate = await pipeline.EstimateAsync(new EstimateOptions { Prices = new PriceTable().Set("gpt-4o-mini", 1m, 2m) });

        var judge = estimate.Tasks.Single(t => t.Step == "judge");
        Assert.That((judge.Rows, judge.Calls, judge.RowsAreExact, judge.OutputTokenBound), Is.EqualTo(((long?)6, (long?)6, true, (long?)120)));
        Assert.That(judge.RowsBasis, Has.Some.EqualTo("group_columns 'both' keeps the source's 6 rows (one per source row, joined across its 2 branches)"));
        Assert.That(judge.OutputCostBound, Is.EqualTo(2m * 120 / 1_000_000m));
        Assert.That((estimate.TotalCalls, estimate.TotalCallsAreExact), Is.EqualTo(((long?)18, true)));
        var text = estimate.ToString();
        Assert.That(text, Does.Contain("total: calls 18 (exact)").And.Contain("total output tokens at most 240").And.Not.Contain("counted then"), text);
        Assert.That(text, Does.Contain("plus the input of 'judge', known once their prompts exist"), text);
    }

    // A newcomer's first pipeline: the estimate gave up at a typed Step<TIn, TOut> ("known once it has run").
    [Test]
    public async Task A_task_after_a_typed_step_gets_the_source_s_row_count_exactly()
    {
        var llm = FakeServerClients.Factory(Server).Create("openai:gpt-4o-mini");
        var pipeline = Pipeline.Create("typed");
        pipeline.RunDirectory = Path.Combine(_temp.Path, "typed");
        pipeline.Load(Questions(7).Select(q => new JsonObject { ["text"] = q["instruction"]!.GetValue<string>() }))
            .Then(new TypedSteps.Normalize())
            .Then(Answer(llm, "answer"));

        var estimate = await pipeline.EstimateAsync(new EstimateOptions());

        var answer = estimate.Tasks.Single(t => t.Step == "answer");
        Assert.That((answer.Rows, answer.Calls, answer.RowsAreExact), Is.EqualTo(((long?)7, (long?)7, true)));
        Assert.That((estimate.TotalCalls, estimate.TotalCallsAreExact), Is.EqualTo(((long?)7, true)));
    }

    [Test]
    public async Task A_filter_after_a_task_bounds_the_rows_after_it_and_makes_the_total_an_upper_bound()
    {
        var llm = FakeServerClients.Factory(Server).Create("openai:gpt-4o-mini");
        var pipeline = Pipeline.Create("filtered");
        pipeline.RunDirectory = Path.Combine(_temp.Path, "filtered");
        pipeline.Load(Questions(10))
            .Filter(row => (int)row["noise"]! % 2 == 0, ["noise"], name: "even_only") // counted on the rows: 5
            .Then(Answer(llm, "answer", generations: 2))                                // 10 rows out
            .Filter(row => row["generation"] is not null, ["generation"], name: "answered")
            .Then(Answer(llm, "follow_up"));

        var estimate = await pipeline.EstimateAsync();

        var answer = estimate.Tasks[0];
        Assert.That((answer.Rows, answer.Calls, answer.RowsAreExact), Is.EqualTo(((long?)5, (long?)10, true)), "a filter on source rows is applied to them");
        var follow = estimate.Tasks[1];
        Assert.That((follow.Rows, follow.Calls, follow.RowsAreExact), Is.EqualTo(((long?)10, (long?)10, false)));
        Assert.That(follow.RowsBasis, Is.EqualTo(new[] { "task 'answer' gives a row per generation (2)", "filter 'answered' may drop rows" }));
        Assert.That((estimate.TotalCalls, estimate.TotalCallsAreExact), Is.EqualTo(((long?)20, false)));
        Assert.That(estimate.ToString(), Does.Contain("rows at most 10, calls at most 10").And.Contain("total: calls at most 20 (an upper bound: the rows of 'follow_up' are bounds"));
    }

    [Test]
    public async Task Grouped_generations_expanded_and_deduplicated_bound_every_later_task()
    {
        var llm = FakeServerClients.Factory(Server).Create("openai:gpt-4o-mini");
        var pipeline = Pipeline.Create("multi");
        pipeline.RunDirectory = Path.Combine(_temp.Path, "multi");
        var drafts = Answer(llm, "drafts", generations: 3);
        drafts.GroupGenerations = true;
        var deduplicated = pipeline.Load(Questions(4)).KeepColumns("instruction")
            .Then(drafts)                                                 // 4 rows, 12 calls
            .ExpandColumns(new Dictionary<string, string> { ["generation"] = "draft" }, "one_per_draft") // 12 rows: 3 a list
            .Deduplicate("draft", new DedupOptions { Method = DedupMethod.Exact }, "unique");
        deduplicated.Then(Answer(llm, "polish"), new ColumnMappings { Inputs = new Dictionary<string, string> { ["instruction"] = "draft" } });
        deduplicated.Global(rows => rows.Take(2), name: "sample").Then(Answer(llm, "after_sample"));

        var estimate = await pipeline.EstimateAsync();

        Assert.That(estimate.Tasks.Select(t => (t.Step, t.Rows, t.Calls, t.RowsAreExact)), Is.EqualTo(new[]
        {
            ("drafts", (long?)4, (long?)12, true),
            ("polish", (long?)12, (long?)12, false),
            ("after_sample", (long?)null, (long?)null, false),
        }));
        Assert.That(estimate.Tasks[1].RowsBasis, Is.EqualTo(new[] { "expand_columns 'one_per_draft' gives a row per item of 'generation' (3)", "dedup 'unique' drops duplicates" }));
        Assert.That(estimate.Tasks[2].Note, Does.Contain("global step 'sample' runs a function over all rows, which may return any number of them"));
        Assert.That(estimate.ToString(), Does.Contain("total: calls 24 for 2 of 3 tasks; no bound before the run for 'after_sample'"));
    }

    [Test]
    public void A_model_without_a_price_is_told_every_name_price_accepts() =>
        Assert.That(new PriceTable().Set("gpt-4o", 1, 1).Explain(["my-model (openai)"]), Has.Some.EqualTo(
            "model 'my-model (openai)' has no price: give one with --price \"my-model=IN/OUT\" (dollars per million tokens; the name may be 'my-model (openai)', 'my-model')"));
}

/// <summary><c>distil run --dry-run</c> with prices, and <c>--limit</c>, end to end.</summary>
public class PreviewCliTests : FakeServerTests
{
    private TempFolder _temp = null!;

    [SetUp]
    public void CreateFolder() => _temp = new TempFolder("distil-preview-");

    [TearDown]
    public void DeleteFolder() => _temp.Dispose();

    private string Input(int rows)
    {
        var input = Path.Combine(_temp.Path, "questions.jsonl");
        File.WriteAllLines(input, Enumerable.Range(0, rows).Select(i => new JsonObject { ["instruction"] = $"Question {i}?" }.ToJsonString()));
        return input;
    }

    [Test]
    public async Task Dry_run_prints_calls_tokens_and_the_cost_range_and_calls_nothing()
    {
        using var child = ChildProgram.Distil.Start("run", "--task", "text_generation", "--input", Input(10), "--output", Path.Combine(_temp.Path, "out.jsonl"),
            "--model", $"endpoint:{Server.BaseUrl}#my-model", "--param", "max_new_tokens=50", "--dry-run", "--price", "my-model=1/2");
        await child.Process.WaitForExitAsync();

        Assert.That(child.Process.ExitCode, Is.Zero, child.Error);
        Assert.That(Server.RequestCount, Is.Zero);
        Assert.That(child.Output, Does.Contain("Estimate (no call made):").And.Contain("rows 10, calls 10, input tokens ≈")
            .And.Contain("output tokens at most 500 (max_new_tokens 50)").And.Contain("cost $0.0").And.Contain(" to $0.00"));
    }

    [Test]
    public async Task Dry_run_says_which_model_each_price_matched_and_names_the_models_when_one_matched_none()
    {
        using var child = ChildProgram.Distil.Start("run", "--task", "text_generation", "--input", Input(3), "--output", Path.Combine(_temp.Path, "out.jsonl"),
            "--model", $"endpoint:{Server.BaseUrl}#my-model", "--dry-run", "--price", "my-model (openai)=1/2", "--price", "gpt-4o=1/1");
        await child.Process.WaitForExitAsync();

        Assert.That(child.Process.ExitCode, Is.Zero, child.Error);
        Assert.That(child.Output, Does.Contain("text_generation (TextGeneration, my-model (openai))"), "the name the run reports");
        Assert.That(child.Output, Does.Contain("price 'my-model (openai)' matched 'my-model (openai)'"), "the reported name, as shown, is a price's name");
        Assert.That(child.Output, Does.Contain("price 'gpt-4o' matched no model; the models seen are 'my-model (openai)'"));
    }

    [Test]
    public async Task A_local_model_is_priced_by_its_reported_name_or_its_file_name()
    {
        var model = $"local:{TestModel.Path}";
        foreach (var price in new[] { "LLaMA v2=1/1", "llama-2-tiny-random.gguf=1/1", "llama-2-tiny-random=1/1", "LLaMA v2 (llama.cpp, llama-2-tiny-random.gguf)=1/1" })
        {
            using var child = ChildProgram.Distil.Start("run", "--task", "text_generation", "--input", Input(2), "--output", Path.Combine(_temp.Path, "out.jsonl"),
                "--model", model, "--dry-run", "--param", "max_new_tokens=8", "--price", price);
            await child.Process.WaitForExitAsync();

            Assert.That(child.Process.ExitCode, Is.Zero, child.Error);
            Assert.That(child.Output, Does.Contain("text_generation (TextGeneration, LLaMA v2 (llama.cpp, llama-2-tiny-random.gguf))"));
            Assert.That(child.Output, Does.Contain($"price '{price[..price.LastIndexOf('=')]}' matched 'LLaMA v2 (llama.cpp, llama-2-tiny-random.gguf)'"), child.Output);
            Assert.That(child.Output, Does.Not.Contain("cost unknown"));
        }
    }

    [Test]
    public async Task A_run_with_prices_prints_each_task_s_cost_and_what_each_price_matched()
    {
        Server.Reply = FakeReplies.Answering(_ => "an answer of six words here");
        using var child = ChildProgram.Distil.Start("run", "--task", "text_generation", "--input", Input(4), "--output", Path.Combine(_temp.Path, "out.jsonl"),
            "--model", $"endpoint:{Server.BaseUrl}#my-model", "--run-dir", Path.Combine(_temp.Path, "run"), "--price", "MY-MODEL=1000000/0", "--price", "other=1/1");
        await child.Process.WaitForExitAsync();

        Assert.That(child.Process.ExitCode, Is.Zero, child.Error);
        // A dollar per input token (the fake server counts the prompt's words): the cost is the input token count.
        var tokens = Server.Requests.Sum(r => r.Prompt.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries).Length);
        Assert.That(child.Output, Does.Contain($"{tokens:N0} input and 24 output tokens, cost {PriceTable.FormatDollars(tokens)}."), child.Output);
        Assert.That(child.Output, Does.Contain("price 'MY-MODEL' matched 'my-model (openai)'").And.Contain("price 'other' matched no model; the models seen are 'my-model (openai)'"));
    }

    [Test]
    public async Task Dry_run_of_a_pipeline_file_with_a_grouping_step_counts_every_task_and_totals_them()
    {
        Input(5);
        var file = Path.Combine(_temp.Path, "pipeline.json");
        File.WriteAllText(file, $$"""
            {
              "name": "two-answers-and-a-judge",
              "model": "endpoint:{{Server.BaseUrl}}#my-model",
              "steps": [
                { "name": "questions", "load": "questions.jsonl" },
                { "name": "answer", "task": "text_generation", "after": "questions", "params": { "max_new_tokens": 16 } },
                { "name": "answer_b", "task": "text_generation", "after": "questions", "params": { "max_new_tokens": 16 } },
                { "name": "both", "group_columns": ["generation"], "output_columns": ["generations"], "after": ["answer", "answer_b"] },
                { "name": "judge", "task": "ultrafeedback", "after": "both", "params": { "max_new_tokens": 32 } },
                { "name": "out", "write": "rated.jsonl", "after": "judge" }
              ]
            }
            """);

        using var child = ChildProgram.Distil.Start("run", "--pipeline", file, "--dry-run");
        await child.Process.WaitForExitAsync();

        Assert.That(child.Process.ExitCode, Is.Zero, child.Error);
        Assert.That(Server.RequestCount, Is.Zero);
        var lines = child.Output.Split('\n').Select(l => l.TrimEnd('\r')).ToList();
        foreach (var (task, counts) in new[] { ("answer", "rows 5, calls 5, input tokens ≈"), ("answer_b", "rows 5, calls 5, input tokens ≈"), ("judge", "rows 5, calls 5") })
        {
            var at = lines.FindIndex(l => l.StartsWith($"  {task} (", StringComparison.Ordinal));
            Assert.That(at, Is.GreaterThanOrEqualTo(0), child.Output);
            Assert.That(lines[at + 1], Does.StartWith("    " + counts), $"task '{task}' has its rows and calls:\n{child.Output}");
        }
        Assert.That(child.Output, Does.Contain("group_columns 'both' keeps the source's 5 rows").And.Not.Contain("counted then"), child.Output);
        Assert.That(child.Output, Does.Contain("total: calls 15 (exact)").And.Contain("total output tokens at most 320"), child.Output);
        Assert.That(child.Output, Does.Contain("model 'my-model (openai)' has no price: give one with --price \"my-model=IN/OUT\"").And.Contain("'my-model (openai)', 'my-model'"), child.Output);
    }

    [TestCase("gpt-4o-mini (openai)", "gpt-4o-mini", true)]
    [TestCase("gpt-4o-mini (openai)", "gpt-4o-mini (openai)", true)]
    [TestCase("gpt-4.1 (openai)", "gpt-4", false)]
    [TestCase("LLaMA v2 (llama.cpp, tiny.Q4_K_M.gguf)", "tiny.q4_k_m", true)]
    [TestCase("LLaMA v2 (llama.cpp, tiny.Q4_K_M.gguf)", "llama.cpp", false)]
    [TestCase("my-deployment (azure)", "azure", false)]
    public void A_price_matches_a_model_by_its_reported_name_its_id_or_its_file(string model, string price, bool matches) =>
        Assert.That(new PriceTable().Set(price, 1, 2).MatchOf(model), matches ? Is.EqualTo(price) : Is.Null);

    [Test]
    public async Task Limit_runs_the_first_rows_in_a_run_directory_of_their_own_prints_them_and_writes_no_output()
    {
        Server.Reply = FakeReplies.Answering(r => "Answer to " + r.LastMessage);
        var output = Path.Combine(_temp.Path, "out.jsonl");
        var runDirectory = Path.Combine(_temp.Path, "run");

        using var child = ChildProgram.Distil.Start("run", "--task", "text_generation", "--input", Input(20), "--output", output,
            "--model", $"endpoint:{Server.BaseUrl}#my-model", "--run-dir", runDirectory, "--limit", "3");
        await child.Process.WaitForExitAsync();

        Assert.That(child.Process.ExitCode, Is.Zero, child.Error);
        Assert.That(Server.RequestCount, Is.EqualTo(3));
        Assert.That(File.Exists(output), Is.False, "a preview writes no output");
        Assert.That(Directory.Exists(runDirectory + "-preview"), Is.True);
        Assert.That(Directory.Exists(runDirectory), Is.False, "the full run's directory is untouched");
        Assert.That(child.Output, Does.Contain("instruction").And.Contain("generation").And.Contain("Answer to Question 2?").And.Not.Contain("Question 3?"));
        Assert.That(child.Output, Does.Contain("Preview of the first 3 rows"));
    }
}
