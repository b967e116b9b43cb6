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
    private string _work = null!;

    [SetUp]
    public void CreateFolder() => _work = Directory.CreateTempSubdirectory("distil-estimate-").FullName;

    [TearDown]
    public void DeleteFolder() => Directory.Delete(_work, recursive: true);

    private static IEnumerable<JsonObject> Questions(int count) =>
        Enumerable.Range(0, count).Select(i => new JsonObject { ["instruction"] = $"Explain, in {i + 2} sentences, why the sky at dusk turns {(i % 2 == 0 ? "red" : "violet")}.", ["noise"] = i });

    private Pipeline Build(string run, IChatClient llm, int rows, int generations = 2)
    {
        var pipeline = Pipeline.Create("estimate");
        pipeline.RunDirectory = Path.Combine(_work, run);
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
        Assert.That((follow.Step, follow.Calls, follow.Note), Is.EqualTo(("follow_up", (long?)null, follow.Note)));
        Assert.That(follow.Note, Does.Contain("its rows come from step 'text_generation'"));
        Assert.That(estimate.ToString(), Does.Contain("rows 12, calls 24, input tokens " + counted.ToString("N0") + " (tiktoken for gpt-4o-mini)")
            .And.Contain("output tokens at most 2,400 (max_new_tokens 100)"));
    }

    [Test]
    public async Task Local_models_are_counted_with_the_GGUF_vocabulary_as_their_answers_report()
    {
        using var llm = new ChatClientFactory { Resilience = null }.AddLocalModels(contextSize: 512).Create($"local:{TestModel.Path}");
        var pipeline = Pipeline.Create("local-estimate");
        pipeline.RunDirectory = Path.Combine(_work, "local");
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
}

/// <summary><c>distil run --dry-run</c> with prices, and <c>--limit</c>, end to end.</summary>
public class PreviewCliTests : FakeServerTests
{
    private string _work = null!;

    [SetUp]
    public void CreateFolder() => _work = Directory.CreateTempSubdirectory("distil-preview-").FullName;

    [TearDown]
    public void DeleteFolder() => Directory.Delete(_work, recursive: true);

    private string Input(int rows)
    {
        var input = Path.Combine(_work, "questions.jsonl");
        File.WriteAllLines(input, Enumerable.Range(0, rows).Select(i => new JsonObject { ["instruction"] = $"Question {i}?" }.ToJsonString()));
        return input;
    }

    [Test]
    public async Task Dry_run_prints_calls_tokens_and_the_cost_range_and_calls_nothing()
    {
        using var child = ChildProgram.Distil.Start("run", "--task", "text_generation", "--input", Input(10), "--output", Path.Combine(_work, "out.jsonl"),
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
        using var child = ChildProgram.Distil.Start("run", "--task", "text_generation", "--input", Input(3), "--output", Path.Combine(_work, "out.jsonl"),
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
            using var child = ChildProgram.Distil.Start("run", "--task", "text_generation", "--input", Input(2), "--output", Path.Combine(_work, "out.jsonl"),
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
        using var child = ChildProgram.Distil.Start("run", "--task", "text_generation", "--input", Input(4), "--output", Path.Combine(_work, "out.jsonl"),
            "--model", $"endpoint:{Server.BaseUrl}#my-model", "--run-dir", Path.Combine(_work, "run"), "--price", "MY-MODEL=1000000/0", "--price", "other=1/1");
        await child.Process.WaitForExitAsync();

        Assert.That(child.Process.ExitCode, Is.Zero, child.Error);
        // A dollar per input token (the fake server counts the prompt's words): the cost is the input token count.
        var tokens = Server.Requests.Sum(r => r.Prompt.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries).Length);
        Assert.That(child.Output, Does.Contain($"{tokens:N0} input and 24 output tokens, cost ${tokens}.0000."), child.Output);
        Assert.That(child.Output, Does.Contain("price 'MY-MODEL' matched 'my-model (openai)'").And.Contain("price 'other' matched no model; the models seen are 'my-model (openai)'"));
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
        var output = Path.Combine(_work, "out.jsonl");
        var runDirectory = Path.Combine(_work, "run");

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
