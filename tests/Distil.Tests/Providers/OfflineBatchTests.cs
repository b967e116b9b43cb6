using System.Text.Json.Nodes;
using Distil.OpenAI;
using Distil.Pipelines;
using Distil.Tasks;
using Distil.Testing;
using Distil.Tests.Support;
using Microsoft.Extensions.AI;
using NUnit.Framework;

namespace Distil.Tests.Providers;

/// <summary>Offline batches through the fake server's Files and Batches API, in pipelines.</summary>
public class OfflineBatchTests : FakeServerTests
{
    private TempFolder _temp = null!;

    [SetUp]
    public void Prepare()
    {
        _temp = new TempFolder("distil-batch-");
        Server.Reply = FakeReplies.Answering(r => "answer to " + r.LastMessage);
    }

    [TearDown]
    public void DeleteRuns() => _temp.Dispose();

    private static readonly OfflineBatchOptions Small = new()
    {
        MaxRequestsPerBatch = 10,
        PollInterval = TimeSpan.FromMilliseconds(5),
        MaxPollInterval = TimeSpan.FromMilliseconds(20),
    };

    private static IEnumerable<JsonObject> Questions(int count) =>
        Enumerable.Range(0, count).Select(i => new JsonObject { ["id"] = i, ["instruction"] = $"question {i}" });

    private IChatClient BatchClient(OfflineBatchOptions? options = null) =>
        FakeServerClients.OpenAI(Server).UseOfflineBatchGeneration(options ?? Small);

    private Pipeline Build(string run, IChatClient llm, int rows = 25, LlmTask? task = null)
    {
        var pipeline = Pipeline.Create("batch");
        pipeline.RunDirectory = Path.Combine(_temp.Path, run);
        task ??= new TextGeneration { Llm = llm, GenerationOptions = new ChatOptions { Temperature = 0.3f } };
        task.Llm = llm;
        pipeline.Load(Questions(rows)).Then(task);
        return pipeline;
    }

    private static PipelineRunOptions Options(bool wait) => new() { Progress = ProgressMode.None, WaitForBatches = wait };

    [Test]
    public async Task Requests_are_split_into_several_files_and_the_rows_equal_an_online_run()
    {
        var online = await (await Build("online", FakeServerClients.OpenAI(Server)).RunAsync(Options(false))).Dataset.ToListAsync();
        var chatCalls = Server.RequestCount;

        var result = await Build("batch", BatchClient()).RunAsync(Options(wait: true));

        var rows = await result.Dataset.ToListAsync();
        Assert.That(result.Completed);
        Assert.That(Server.Batches.Created.Select(b => b.CustomIds.Count), Is.EqualTo(new[] { 10, 10, 5 }), "at most 10 requests per file");
        Assert.That(Server.RequestCount, Is.EqualTo(chatCalls), "no online call");
        Assert.That(Server.Batches.Created[0].Lines[0]["body"]!["temperature"]!.GetValue<double>(), Is.EqualTo(0.3).Within(1e-6));
        Assert.That(Server.Batches.Created[0].Lines[0]["url"]!.GetValue<string>(), Is.EqualTo("/v1/chat/completions"));
        Assert.That(rows.Select(r => r.ToJsonString()), Is.EqualTo(online.Select(r => r.ToJsonString())), "same rows, statistics included");
    }

    private Pipeline Mapped(string run, IChatClient llm)
    {
        var pipeline = Pipeline.Create("mapped");
        pipeline.RunDirectory = Path.Combine(_temp.Path, run);
        var questions = Enumerable.Range(0, 4).Select(i => new JsonObject { ["id"] = i, ["question"] = $"question {i}", ["instruction"] = $"not this {i}" });
        pipeline.Load(questions).Then(new TextGeneration { Llm = llm }, new ColumnMappings
        {
            Inputs = new Dictionary<string, string> { ["instruction"] = "question" },
            Outputs = new Dictionary<string, string> { ["generation"] = "answer" },
        });
        return pipeline;
    }

    [Test]
    public async Task A_batch_step_reads_and_writes_through_its_column_mappings_as_online()
    {
        var online = await (await Mapped("online", FakeServerClients.OpenAI(Server)).RunAsync(Options(false))).Dataset.ToListAsync();
        var chatCalls = Server.RequestCount;

        var result = await Mapped("batch", BatchClient()).RunAsync(Options(wait: true));

        var rows = await result.Dataset.ToListAsync();
        Assert.That(result.Completed);
        Assert.That(Server.RequestCount, Is.EqualTo(chatCalls), "no online call");
        var prompts = Server.Batches.Created.SelectMany(b => b.Lines).Select(l => (string?)l["body"]!["messages"]!.AsArray()[^1]!["content"]).ToList();
        Assert.That(prompts, Is.EqualTo(new[] { "question 0", "question 1", "question 2", "question 3" }), "the task reads its instruction from the mapped column");
        Assert.That(rows.Select(r => ((string?)r["answer"], (string?)r["question"], (string?)r["instruction"])), Is.EqualTo(Enumerable.Range(0, 4)
            .Select(i => ((string?)$"answer to question {i}", (string?)$"question {i}", (string?)$"not this {i}"))), "the answer goes to the mapped column; the rows keep their own columns");
        Assert.That(rows.Any(r => r.ContainsKey("generation")), Is.False);
        Assert.That(rows.Select(r => r.ToJsonString()), Is.EqualTo(online.Select(r => r.ToJsonString())), "the rows of the online run");
    }

    private const string Unreadable = "could not be read";
    private static readonly System.Text.RegularExpressions.Regex QuestionNumber = new(@"Question (\d+):");

    private static IEnumerable<JsonObject> Scorings(int count) =>
        Enumerable.Range(0, count).Select(i => new JsonObject { ["id"] = i, ["instruction"] = $"Question {i}: why?", ["responses"] = new JsonArray("a", "b") });

    private static int RowOf(FakeRequest request) => int.Parse(QuestionNumber.Match(request.Prompt).Groups[1].Value);

    private Pipeline Scoring(string run, IChatClient llm, int reasks, Support.ListLogger? logger = null)
    {
        var pipeline = Pipeline.Create("reask");
        pipeline.RunDirectory = Path.Combine(_temp.Path, run);
        if (logger is not null) pipeline.Logger = logger;
        pipeline.Load(Scorings(6)).Then(new QualityScorer { Llm = llm, Reasks = reasks, UseDefaultStructuredOutput = true, Logger = logger ?? (Microsoft.Extensions.Logging.ILogger)Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance });
        return pipeline;
    }

    private static JsonArray Messages(FakeBatch batch, int line) => batch.Lines[line]["body"]!["messages"]!.AsArray();

    [Test]
    public async Task Unreadable_answers_are_asked_again_in_a_second_batch_as_online_and_the_rows_keep_the_re_asked_answers()
    {
        // Odd rows answer unreadably at first; every re-ask is answered with scores.
        Server.Reply = FakeReplies.Answering(r => r.LastMessage.Contains(Unreadable, StringComparison.Ordinal) ? """{"scores": [4, 2]}"""
            : RowOf(r) % 2 == 1 ? "no idea" : """{"scores": [5, 1]}""");
        var online = await (await Scoring("online", FakeServerClients.OpenAI(Server), reasks: 1).RunAsync(Options(false))).Dataset.ToListAsync();
        var onlineCalls = Server.RequestCount;
        var logger = new Support.ListLogger();

        var result = await Scoring("batch", BatchClient(), reasks: 1, logger).RunAsync(Options(wait: true));

        var rows = await result.Dataset.ToListAsync();
        Assert.That(result.Completed);
        Assert.That(onlineCalls, Is.EqualTo(9), "online: six first answers and three re-asks");
        Assert.That(Server.RequestCount, Is.EqualTo(onlineCalls), "no online call from the batch run");
        Assert.That(Server.Batches.Created.Select(b => string.Join(",", b.CustomIds)),
            Is.EqualTo(new[] { "0:0,1:0,2:0,3:0,4:0,5:0", "1:0:reask1,3:0:reask1,5:0:reask1" }), "the unreadable rows, and only they, in a second batch");
        var first = Messages(Server.Batches.Created[0], 1);
        var reask = Messages(Server.Batches.Created[1], 0);
        Assert.That(reask.Take(first.Count).Select(m => m!.ToJsonString()), Is.EqualTo(first.Select(m => m!.ToJsonString())),
            "the re-ask is the first conversation, the last answer and what was wrong");
        Assert.That(reask, Has.Count.EqualTo(first.Count + 2));
        Assert.That(((string?)reask[^2]!["role"], reask[^2]!["content"]!.ToJsonString()), Is.EqualTo(("assistant", "\"no idea\"")));
        Assert.That((string?)reask[^1]!["role"], Is.EqualTo("user"));
        Assert.That((string?)reask[^1]!["content"], Does.Contain(Unreadable));
        Assert.That(rows.Select(r => r["scores"]!.ToJsonString()), Is.EqualTo(new[] { "[5,1]", "[4,2]", "[5,1]", "[4,2]", "[5,1]", "[4,2]" }));
        Assert.That(rows.Select(r => r.ToJsonString()), Is.EqualTo(online.Select(r => r.ToJsonString())), "the rows of the online run, metadata and statistics included");
        Assert.That(result.Tasks["quality_scorer"].Calls, Is.EqualTo(9));
        Assert.That(logger.Entries.Select(e => e.Message), Has.Some.StartsWith("Step 'quality_scorer': submitted re-ask batch batch_2 (re-ask 1) with 3 requests for 3 rows to "));
        Assert.That(logger.Entries.Select(e => e.Message), Has.Some.EqualTo(
            "Task 'quality_scorer' answers: 3 fit at the first try, 3 asked again (3 then fit), 0 mended in reading, 0 lost to misfits."), "counted as online re-asks are");
    }

    [Test]
    public async Task Each_re_ask_round_is_a_batch_of_its_own_up_to_Reasks_and_an_answer_that_never_fits_is_imputed()
    {
        // Row 1 fits at its second re-ask, row 3 never; the others at once.
        Server.Reply = FakeReplies.Answering(r => RowOf(r) switch
        {
            1 when r.LastMessage.Contains(Unreadable, StringComparison.Ordinal) && r.Prompt.Contains("still no idea", StringComparison.Ordinal) => """{"scores": [3, 3]}""",
            1 when r.LastMessage.Contains(Unreadable, StringComparison.Ordinal) => "still no idea",
            1 or 3 => "no idea",
            _ => """{"scores": [5, 1]}""",
        });
        var logger = new Support.ListLogger();

        var result = await Scoring("rounds", BatchClient(), reasks: 2, logger).RunAsync(Options(wait: true));

        var rows = await result.Dataset.ToListAsync();
        Assert.That(Server.Batches.Created.Select(b => string.Join(",", b.CustomIds)),
            Is.EqualTo(new[] { "0:0,1:0,2:0,3:0,4:0,5:0", "1:0:reask1,3:0:reask1", "1:0:reask2,3:0:reask2" }));
        var first = Messages(Server.Batches.Created[0], 1);
        var second = Messages(Server.Batches.Created[2], 0);
        Assert.That(second, Has.Count.EqualTo(first.Count + 2), "each re-ask is the first conversation plus the last answer: it does not grow");
        Assert.That(second[^2]!["content"]!.ToJsonString(), Is.EqualTo("\"still no idea\""), "the last answer, not the first");
        Assert.That(rows.Select(r => r["scores"]?.ToJsonString()), Is.EqualTo(new[] { "[5,1]", "[3,3]", "[5,1]", "[null,null]", "[5,1]", "[5,1]" }), "the answer that never fits keeps distilabel's shape: one null per response");
        Assert.That(rows[3]["distilabel_metadata"]!["reasks_quality_scorer"]!.GetValue<int>(), Is.EqualTo(2));
        Assert.That(rows[3]["distilabel_metadata"]!["raw_outputs_quality_scorer"]!.ToJsonString(), Is.EqualTo("""["no idea","no idea","no idea"]"""));
        Assert.That(logger.Entries.Select(e => e.Message), Has.Some.EqualTo(
            "Step 'quality_scorer': 2 rows have answers that do not fit; they are asked again in an offline batch (re-ask 2 of 2, 2 requests)."));
        Assert.That(logger.Entries.Select(e => e.Message), Has.Some.EqualTo(
            "Task 'quality_scorer' answers: 4 fit at the first try, 2 asked again (1 then fit), 0 mended in reading, 1 lost to misfits."));
    }

    [Test]
    public async Task A_pending_re_ask_batch_is_picked_up_by_the_next_run_and_nothing_is_submitted_again()
    {
        Server.Reply = FakeReplies.Answering(r => r.LastMessage.Contains(Unreadable, StringComparison.Ordinal) ? """{"scores": [4, 2]}""" : "no idea");
        Server.Batches.Outcome = batch => batch.Id == "batch_2" ? FakeBatchOutcome.InProgress : FakeBatchOutcome.Completed;

        var first = await Scoring("pending-reask", BatchClient(), reasks: 1).RunAsync(Options(wait: false));

        Assert.That(first.Completed, Is.False, "the run stops while the re-ask batch is pending");
        Assert.That(Server.Batches.Created.Select(b => b.CustomIds.Count), Is.EqualTo(new[] { 6, 6 }));

        // A new process: a new pipeline and client over the same run directory.
        Server.Batches.Outcome = _ => FakeBatchOutcome.Completed;
        var second = await Scoring("pending-reask", BatchClient(), reasks: 1).RunAsync(Options(wait: false));

        Assert.That(second.Completed);
        Assert.That((Server.Batches.Created.Count, Server.Batches.FilesUploaded), Is.EqualTo((2, 2)), "neither batch submitted twice");
        Assert.That(Server.Batches.Created[1].Checks, Is.GreaterThan(1), "the re-ask batch was polled again");
        Assert.That((await second.Dataset.ToListAsync()).Select(r => r["scores"]!.ToJsonString()), Has.All.EqualTo("[4,2]"));
    }

    [Test]
    public async Task A_task_that_catches_every_exception_batches_like_any_other()
    {
        Server.Reply = FakeReplies.Answering(EchoTask.Answer);
        var pipeline = Pipeline.Create("catch-all");
        pipeline.RunDirectory = Path.Combine(_temp.Path, "catch-all");
        var task = new CatchAllTask { Llm = BatchClient() };
        pipeline.Load(EchoTask.Rows(12)).Then(task);

        var result = await pipeline.RunAsync(Options(wait: true));

        Assert.That(task.Caught, Is.Zero, "recording a request sends no exception through the task's code");
        Assert.That(Server.Batches.Created.SelectMany(b => b.CustomIds).ToList(), Has.Count.EqualTo(12), "one request per row");
        Assert.That(Server.RequestCount, Is.Zero, "no online call");
        Assert.That((await result.Dataset.ToListAsync()).Select(r => (string?)r["echo"]), Is.EqualTo(Enumerable.Range(0, 12).Select(i => i.ToString())),
            "each row parsed from its own batch answer, not from the recording's placeholder");
    }

    [Test]
    public async Task Polls_that_fail_with_503_are_retried_and_the_batch_completes()
    {
        var failedPolls = 0;
        Server.Batches.Faults = call => call == FakeBatchCall.Poll && Interlocked.Increment(ref failedPolls) <= 2 ? 503 : null;
        var logger = new Support.ListLogger();
        var task = new TextGeneration { Logger = logger };

        var result = await Build("polls", BatchClient(new OfflineBatchOptions { PollInterval = TimeSpan.FromMilliseconds(5), RetryDelay = TimeSpan.FromMilliseconds(10) }), rows: 5, task: task)
            .RunAsync(Options(wait: true));

        Assert.That(result.Completed);
        Assert.That(failedPolls, Is.GreaterThan(2), "two polls failed, then one went through");
        Assert.That((await result.Dataset.ToListAsync()).Select(r => (string?)r["generation"]), Is.EqualTo(Enumerable.Range(0, 5).Select(i => $"answer to question {i}")));
        Assert.That(logger.Warnings.Count(w => w.Contains("a call to the batch service failed", StringComparison.Ordinal) && w.Contains("503")), Is.EqualTo(2));
    }

    [Test]
    public async Task Uploads_and_downloads_that_fail_with_503_are_retried_without_submitting_twice()
    {
        var faults = new Dictionary<FakeBatchCall, int> { [FakeBatchCall.Upload] = 1, [FakeBatchCall.Create] = 1, [FakeBatchCall.Download] = 1 };
        Server.Batches.Faults = call =>
        {
            lock (faults) return faults.TryGetValue(call, out var left) && left > 0 && (faults[call] = left - 1) >= 0 ? 503 : null;
        };

        var result = await Build("uploads", BatchClient(new OfflineBatchOptions { MaxRequestsPerBatch = 10, PollInterval = TimeSpan.FromMilliseconds(5), RetryDelay = TimeSpan.FromMilliseconds(10) }), rows: 25)
            .RunAsync(Options(wait: true));

        Assert.That(result.Completed);
        Assert.That(Server.Batches.Created.Select(b => b.CustomIds.Count), Is.EqualTo(new[] { 10, 10, 5 }), "each request in exactly one batch");
        Assert.That(result.Dataset.Count, Is.EqualTo(25));
    }

    [Test]
    public async Task A_file_never_exceeds_the_byte_limit()
    {
        const int limit = 500; // two or three request lines of this test
        await Build("bytes", BatchClient(new OfflineBatchOptions { MaxBytesPerBatch = limit, PollInterval = TimeSpan.FromMilliseconds(5) }), rows: 12)
            .RunAsync(Options(wait: true));

        Assert.That(Server.Batches.Created, Has.Count.GreaterThan(3));
        Assert.That(Server.Batches.Created.Sum(b => b.CustomIds.Count), Is.EqualTo(12));
        Assert.That(Server.Batches.Created.Select(b => b.Lines.Sum(l => l.ToJsonString().Length + 1)), Has.All.LessThanOrEqualTo(limit));
    }

    [Test]
    public async Task Pending_batches_are_picked_up_by_the_next_run_instead_of_submitted_again()
    {
        Server.Batches.Outcome = _ => FakeBatchOutcome.InProgress;

        var first = await Build("pending", BatchClient()).RunAsync(Options(wait: false));

        Assert.That(first.Completed, Is.False, "the run stops while batches are pending");
        Assert.That(first.Dataset.Count, Is.Zero);
        Assert.That(Server.Batches.Created, Has.Count.EqualTo(3));

        // A new process: a new pipeline and client over the same run directory.
        Server.Batches.Outcome = _ => FakeBatchOutcome.Completed;
        var second = await Build("pending", BatchClient()).RunAsync(Options(wait: false));

        Assert.That(second.Completed);
        Assert.That(Server.Batches.Created, Has.Count.EqualTo(3), "no batch submitted twice");
        Assert.That((await second.Dataset.ToListAsync()).Select(r => (string?)r["generation"]),
            Is.EqualTo(Enumerable.Range(0, 25).Select(i => $"answer to question {i}")));
    }

    [Test]
    public async Task Pending_batches_survive_the_process_and_the_next_process_collects_them()
    {
        Server.Reply = FakeReplies.Answering(r => r.LastMessage.Contains("[1] Score", StringComparison.Ordinal) ? "[1] Score: 4" : "answer");
        Server.Batches.Outcome = _ => FakeBatchOutcome.InProgress;
        var output = Path.Combine(_temp.Path, "answers.jsonl");
        string[] args = ["--model", $"endpoint:{Server.BaseUrl}#fake-model", "--rows", "30", "--run-dir", Path.Combine(_temp.Path, "process"), "--out", output, "--batch", "--no-wait"];

        var first = await Support.ChildProgram.PipelineSample.RunAsync(args);

        Assert.That(first.ExitCode, Is.Zero, first.Error);
        Assert.That(Server.Batches.Created, Has.Count.EqualTo(1), "the first task's batch went out, and the process ended");
        Assert.That(File.Exists(output), Is.False);

        Server.Batches.Outcome = _ => FakeBatchOutcome.Completed;
        var second = await Support.ChildProgram.PipelineSample.RunAsync(args);
        var third = await Support.ChildProgram.PipelineSample.RunAsync(args);

        Assert.That((second.ExitCode, third.ExitCode), Is.EqualTo((0, 0)), second.Error + third.Error);
        Assert.That(Server.Batches.Created.Select(b => b.CustomIds.Count), Is.EqualTo(new[] { 30, 30 }),
            "the answers' batch was collected, not sent again; then the judge's batch went out once");
        Assert.That(File.ReadAllLines(output), Has.Length.EqualTo(30));
        Assert.That(Server.RequestCount, Is.Zero, "no online call");
    }

    [Test]
    public async Task An_expired_batch_keeps_its_answers_and_only_the_missing_requests_go_out_again()
    {
        // The first batch expires with only its even rows done; later batches complete.
        Server.Batches.Outcome = batch => batch.Id == "batch_1"
            ? FakeBatchOutcome.Expired(id => int.Parse(id.Split(':')[0]) % 2 == 0)
            : FakeBatchOutcome.Completed;

        var result = await Build("expired", BatchClient(), rows: 8).RunAsync(Options(wait: true));

        Assert.That(Server.Batches.Created.Select(b => string.Join(",", b.CustomIds)), Is.EqualTo(new[] { "0:0,1:0,2:0,3:0,4:0,5:0,6:0,7:0", "1:0,3:0,5:0,7:0" }));
        Assert.That((await result.Dataset.ToListAsync()).Select(r => (string?)r["generation"]),
            Is.EqualTo(Enumerable.Range(0, 8).Select(i => $"answer to question {i}")));
    }

    [Test]
    public async Task A_line_that_keeps_failing_is_imputed_after_three_batches_and_the_others_are_kept()
    {
        Server.Batches.Outcome = _ => FakeBatchOutcome.CompletedWithFailures(id => id == "3:0");

        var result = await Build("failed", BatchClient(), rows: 6).RunAsync(Options(wait: true));

        var rows = await result.Dataset.ToListAsync();
        Assert.That(Server.Batches.Created.Count(b => b.CustomIds.Contains("3:0")), Is.EqualTo(3));
        Assert.That(Server.Batches.Created.Skip(1).SelectMany(b => b.CustomIds), Has.All.EqualTo("3:0"), "only the failing request went out again");
        Assert.That(rows[3]["generation"], Is.Null);
        Assert.That((string?)rows[3]["distilabel_metadata"]!["error_text_generation"], Does.Contain("server_error: The fake server failed this request."));
        Assert.That(rows.Where((_, i) => i != 3).Select(r => (string?)r["generation"]), Has.All.StartWith("answer to question"));
        Assert.That(rows[0]["distilabel_metadata"]!["statistics_text_generation"]!["output_tokens"]!.GetValue<long>(), Is.EqualTo(4), "statistics from the batch results (the fake counts words)");
    }

    [Test]
    public async Task A_batch_the_service_refuses_as_a_whole_is_not_sent_again_and_its_rows_carry_the_reason()
    {
        Server.Batches.Outcome = _ => FakeBatchOutcome.Refused("The model 'fake-model' does not support the Batch API.");

        var result = await Build("refused", BatchClient(), rows: 3).RunAsync(Options(wait: true));

        var rows = await result.Dataset.ToListAsync();
        Assert.That(Server.Batches.Created, Has.Count.EqualTo(1), "a refusal would repeat: no second batch");
        Assert.That(rows.Select(r => r["generation"]), Has.All.Null);
        Assert.That((string?)rows[0]["distilabel_metadata"]!["error_text_generation"], Does.Contain("does not support the Batch API"));
        Assert.That(result.Tasks["text_generation"].FailedCalls, Is.EqualTo(3));
    }

    [Test]
    public void A_task_with_dependent_calls_is_refused_before_anything_is_submitted()
    {
        var pipeline = Build("evol", BatchClient(), task: new EvolInstruct { NumEvolutions = 2 });

        var error = Assert.ThrowsAsync<PipelineException>(async () => await pipeline.RunAsync(Options(wait: true)))!;

        Assert.That(error.Message, Does.Contain("Step 'evol_instruct' (task) makes several dependent calls per row and cannot be sent as an offline batch"));
        Assert.That(Server.Batches.Created, Is.Empty);
        Assert.That(async () => await new TextGeneration { Llm = BatchClient() }.ProcessAsync([new JsonObject { ["instruction"] = "q" }]).ToListAsync(),
            Throws.InvalidOperationException.With.Message.Contains("run the task in a pipeline"));
    }

    [Test]
    public async Task Every_option_of_an_online_call_is_in_the_batch_line_as_it_was_sent_online()
    {
        var schema = System.Text.Json.JsonDocument.Parse("""{"type":"object","properties":{"answer":{"type":"string"}},"required":["answer"],"additionalProperties":false}""").RootElement;
        var options = new ChatOptions
        {
            Temperature = 0.3f, TopP = 0.9f, MaxOutputTokens = 123, Seed = 7, FrequencyPenalty = 0.1f, PresencePenalty = 0.2f,
            StopSequences = ["END"], ResponseFormat = ChatResponseFormat.ForJsonSchema(schema, "answer", "An answer."),
            AdditionalProperties = new() { [ChatOptionsKeys.StrictJsonSchema] = true },
        };
        ChatMessage[] messages = [new(ChatRole.System, "Be brief."), new(ChatRole.User, "question 0")];
        await FakeServerClients.OpenAI(Server).GetResponseAsync(messages, options);
        var online = Server.Requests.Single().Body;

        var batches = BatchClient().GetService<IOfflineBatchClient>()!;
        await batches.SubmitAsync([new OfflineBatchRequest("0:0", messages, options)], _ => { }, CancellationToken.None);

        var line = Server.Batches.Created.Single().Lines.Single();
        Assert.That(line["body"]!.ToJsonString(), Is.EqualTo(online.ToJsonString()));
        Assert.That(online["response_format"]!["json_schema"]!["strict"]!.GetValue<bool>(), "the strict schema reached both");
    }

    [Test]
    public async Task Azure_batches_go_through_the_SDK_with_the_key()
    {
        var llm = FakeServerClients.Factory(Server).Create("azure:batch-deployment").UseOfflineBatchGeneration(Small);

        var result = await Build("azure", llm, rows: 3).RunAsync(Options(wait: true));

        var rows = await result.Dataset.ToListAsync();
        Assert.That(rows.Select(r => (string?)r["generation"]), Is.EqualTo(new[] { "answer to question 0", "answer to question 1", "answer to question 2" }));
        var line = Server.Batches.Created.Single().Lines[0];
        Assert.That(((string?)line["url"], (string?)line["body"]!["model"]), Is.EqualTo(("/chat/completions", "batch-deployment")));
        Assert.That(Server.Batches.FilesUploaded, Is.EqualTo(1));
    }

    [Test]
    public async Task Azure_batches_work_with_an_Entra_ID_credential()
    {
        var credential = new RecordingCredential();
        var llm = Distil.AzureOpenAI.AzureOpenAIProviders.CreateAzure(Server.Endpoint, "batch-deployment", credential).UseOfflineBatchGeneration(Small);

        var result = await Build("entra", llm, rows: 2).RunAsync(Options(wait: true));

        var rows = await result.Dataset.ToListAsync();
        Assert.That(rows.Select(r => (string?)r["generation"]), Has.All.StartWith("answer to question"));
        Assert.That((Server.Batches.FilesUploaded, Server.Batches.Created.Count), Is.EqualTo((1, 1)));
        Assert.That(credential.Scopes, Has.Some.Contains("https://cognitiveservices.azure.com/.default"), "the token was asked for the Azure OpenAI scope");
    }

    /// <summary>An Entra ID credential that hands out a fixed token and remembers what it was asked for.</summary>
    private sealed class RecordingCredential : Azure.Core.TokenCredential
    {
        public System.Collections.Concurrent.ConcurrentBag<string> Scopes { get; } = [];

        public override Azure.Core.AccessToken GetToken(Azure.Core.TokenRequestContext requestContext, CancellationToken cancellationToken)
        {
            foreach (var scope in requestContext.Scopes) Scopes.Add(scope);
            return new Azure.Core.AccessToken("entra-token", DateTimeOffset.UtcNow.AddHours(1));
        }

        public override ValueTask<Azure.Core.AccessToken> GetTokenAsync(Azure.Core.TokenRequestContext requestContext, CancellationToken cancellationToken) =>
            ValueTask.FromResult(GetToken(requestContext, cancellationToken));
    }

    [Test]
    public void Only_OpenAI_clients_have_a_Batch_API() =>
        Assert.That(() => new ScriptedChatClient().UseOfflineBatchGeneration(),
            Throws.ArgumentException.With.Message.Contains("needs a client made by OpenAIProviders"));
}
