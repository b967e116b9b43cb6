using System.Text.Json;
using System.Text.Json.Nodes;
using Distil.Testing;
using Distil.Tests.Support;
using Distil.Tests.Tasks;
using Microsoft.Extensions.AI;
using NUnit.Framework;

namespace Distil.Tests.Runtime;

/// <summary>The semantics of distilabel's Task, one rule per test, with a scripted LLM.</summary>
public class TaskSemanticsTests
{
    private const string GoodAnswer = "{\"summary\":\"short\",\"word_count\":1}";

    private static JsonObject Row(string title = "Dune") =>
        Rows.Parse($$"""{"title":"{{title}}","max_words":20,"key_points":["a"],"source":"wiki"}""");

    private static SummaryTask Task(IChatClient llm) => new() { Llm = llm };

    [Test]
    public async Task One_row_per_generation_with_outputs_model_name_and_input_columns()
    {
        var llm = new ScriptedChatClient(r => ScriptedChatClient.Answer(
            $"{{\"summary\":\"answer {r.CallNumber}\",\"word_count\":{r.CallNumber + 2}}}", 10, 5));
        var task = Task(llm);
        task.NumGenerations = 2;

        var rows = await task.ProcessAsync([Row()]).ToListAsync();

        Assert.That(rows, Has.Count.EqualTo(2));
        Assert.That(rows.Select(r => (string?)r["summary"]), Is.EqualTo(new[] { "answer 0", "answer 1" }));
        Assert.That(rows.Select(r => (int?)r["word_count"]), Is.EqualTo(new int?[] { 2, 3 }));
        Assert.That(rows.Select(r => (string?)r["model_name"]), Is.All.EqualTo("scripted-model"));
        Assert.That(rows.Select(r => (string?)r["source"]), Is.All.EqualTo("wiki"), "other columns are kept");
        Assert.That(llm.Requests, Has.Count.EqualTo(2), "each generation is its own request");
    }

    [Test]
    public async Task Metadata_holds_raw_output_raw_input_and_statistics_under_the_task_name()
    {
        var llm = new ScriptedChatClient(_ => ScriptedChatClient.Answer(GoodAnswer, inputTokens: 12, outputTokens: 7));

        var row = (await Task(llm).ProcessAsync([Row()]).ToListAsync()).Single();

        var metadata = row["distilabel_metadata"]!.AsObject();
        Assert.That(metadata.Select(p => p.Key), Is.EquivalentTo(new[] { "raw_output_summary", "raw_input_summary", "statistics_summary" }));
        Assert.That((string?)metadata["raw_output_summary"], Is.EqualTo(GoodAnswer));
        Assert.That(metadata["raw_input_summary"]!.ToJsonString(), Is.EqualTo(
            """[{"role":"system","content":"You write short, faithful summaries."},{"role":"user","content":"Summarise Dune in 20 words:\n- a\n"}]"""));
        Assert.That(metadata["statistics_summary"]!.ToJsonString(), Is.EqualTo("""{"input_tokens":12,"output_tokens":7}"""));
    }

    [Test]
    public async Task Metadata_keys_follow_a_renamed_task_and_metadata_column()
    {
        var llm = new ScriptedChatClient(_ => ScriptedChatClient.Answer(GoodAnswer));
        var task = Task(llm);
        task.Name = "summary_v2";
        task.MetadataColumn = "meta";
        task.AddRawInput = false;

        var row = (await task.ProcessAsync([Row()]).ToListAsync()).Single();

        Assert.That(row.ContainsKey("distilabel_metadata"), Is.False);
        Assert.That(row["meta"]!.AsObject().Select(p => p.Key), Is.EquivalentTo(new[] { "raw_output_summary_v2", "statistics_summary_v2" }));
    }

    [Test]
    public async Task AddRawOutput_false_leaves_out_the_answer()
    {
        var task = Task(new ScriptedChatClient(_ => ScriptedChatClient.Answer(GoodAnswer)));
        task.AddRawOutput = false;

        var row = (await task.ProcessAsync([Row()]).ToListAsync()).Single();

        Assert.That(row["distilabel_metadata"]!.AsObject().ContainsKey("raw_output_summary"), Is.False);
    }

    [Test]
    public async Task Grouped_generations_give_one_row_with_lists_and_a_list_of_metadata()
    {
        var llm = new ScriptedChatClient(r => ScriptedChatClient.Answer(
            r.CallNumber == 1 ? "not json" : $"{{\"summary\":\"s{r.CallNumber}\",\"word_count\":{r.CallNumber}}}"));
        var task = Task(llm);
        task.NumGenerations = 3;
        task.GroupGenerations = true;

        var rows = await task.ProcessAsync([Row()]).ToListAsync();

        var row = rows.Single();
        Assert.That(row["summary"]!.ToJsonString(), Is.EqualTo("""["s0",null,"s2"]"""));
        Assert.That(row["word_count"]!.ToJsonString(), Is.EqualTo("[0,null,2]"));
        Assert.That((string?)row["model_name"], Is.EqualTo("scripted-model"));
        var metadata = row["distilabel_metadata"]!.AsArray();
        Assert.That(metadata.Select(m => (string?)m!["raw_output_summary"]),
            Is.EqualTo(new[] { "{\"summary\":\"s0\",\"word_count\":0}", "not json", "{\"summary\":\"s2\",\"word_count\":2}" }));
    }

    [Test]
    public async Task Unparseable_answer_keeps_raw_output_nulls_outputs_and_logs_a_warning()
    {
        var logger = new ListLogger();
        var task = Task(new ScriptedChatClient(_ => ScriptedChatClient.Answer("Sorry, no JSON today.")));
        task.Logger = logger;

        var row = (await task.ProcessAsync([Row()]).ToListAsync()).Single();

        Assert.That(row.ContainsKey("summary") && row["summary"] is null, Is.True);
        Assert.That(row.ContainsKey("word_count") && row["word_count"] is null, Is.True);
        Assert.That((string?)row["distilabel_metadata"]!["raw_output_summary"], Is.EqualTo("Sorry, no JSON today."));
        Assert.That(logger.Warnings.First(), Does.Contain("could not be read").And.Contain("summary"));
        Assert.That(logger.Warnings.Last(), Does.StartWith("Task 'summary' finished: 1 rows, 1 answers (1 unparsed), 0 failed"), "the run ends with a summary");
    }

    [Test]
    public async Task Failed_call_imputes_null_outputs_and_the_run_continues()
    {
        var logger = new ListLogger();
        var llm = new ScriptedChatClient(r => r.UserText.Contains("Broken")
            ? throw new HttpRequestException("Response status code does not indicate success: 500")
            : ScriptedChatClient.Answer(GoodAnswer));
        var task = Task(llm);
        task.Logger = logger;

        var rows = await task.ProcessAsync([Row("Dune"), Row("Broken"), Row("Emma")]).ToListAsync();

        Assert.That(rows.Select(r => (string?)r["title"]), Is.EqualTo(new[] { "Dune", "Broken", "Emma" }));
        Assert.That(rows.Select(r => (string?)r["summary"]), Is.EqualTo(new[] { "short", null, "short" }));
        var failed = rows[1]["distilabel_metadata"]!.AsObject();
        Assert.That(failed["raw_output_summary"], Is.Null);
        Assert.That(failed["raw_input_summary"], Is.Null);
        Assert.That((string?)failed["error_summary"], Does.StartWith("HttpRequestException: Response status code"));
        Assert.That(logger.Warnings.First(), Does.Contain("failed"));
        Assert.That(logger.Warnings.Last(), Does.Contain("1 failed LLM calls imputed as null"), "the run ends with a summary");
    }

    [Test]
    public async Task No_row_is_dropped_or_duplicated_and_order_is_kept_under_concurrency()
    {
        var llm = new ScriptedChatClient(r =>
        {
            Thread.Sleep(Random.Shared.Next(0, 3));
            return r.CallNumber % 7 == 3
                ? throw new TimeoutException("slow")
                : ScriptedChatClient.Answer(r.CallNumber % 5 == 0 ? "garbage" : GoodAnswer);
        });
        var task = Task(llm);
        task.NumGenerations = 2;
        task.MaxConcurrency = 8;
        var input = Enumerable.Range(0, 200).Select(i => Row($"t{i}")).ToList();

        var rows = await System.Threading.Tasks.Task.Run(() => task.ProcessAsync(input).ToListAsync());

        Assert.That(rows, Has.Count.EqualTo(400));
        var expected = Enumerable.Range(0, 200).SelectMany(i => new[] { $"t{i}", $"t{i}" });
        Assert.That(rows.Select(r => (string?)r["title"]), Is.EqualTo(expected));
    }

    [Test]
    [CancelAfter(10_000)]
    public async Task A_slow_answer_does_not_hold_back_the_requests_behind_it()
    {
        // The first request only answers once nine later ones have been sent. A batch barrier of
        // MaxConcurrency (4) sends three more and waits; so does a window of MaxConcurrency rows
        // ahead of the slowest: either would never finish this run. Rows must run well ahead.
        const int later = 2 * 4 + 1;
        var laterRequests = 0;
        var firstMayAnswer = new TaskCompletionSource();
        var llm = new AsyncScriptedClient(async (request, cancellation) =>
        {
            if (request.UserText.Contains("slow")) await firstMayAnswer.Task.WaitAsync(cancellation);
            else if (Interlocked.Increment(ref laterRequests) == later) firstMayAnswer.SetResult();
            return ScriptedChatClient.Answer(GoodAnswer);
        });
        var task = Task(llm);
        task.MaxConcurrency = 4;
        var titles = new[] { "slow" }.Concat(Enumerable.Range(0, 12).Select(i => $"r{i}")).ToArray();

        var rows = await task.ProcessAsync(titles.Select(Row)).ToListAsync();

        Assert.That(rows.Select(r => (string?)r["title"]), Is.EqualTo(titles), "in input order all the same");
    }

    [Test]
    public async Task Each_generation_gets_a_seed_of_its_own_and_the_requested_model_is_reported()
    {
        var llm = new ScriptedChatClient(_ => ScriptedChatClient.Answer(GoodAnswer));
        var task = Task(llm);
        task.NumGenerations = 3;
        task.GenerationOptions = new ChatOptions { Seed = 7, ModelId = "judge-large" };

        var rows = await task.ProcessAsync([Row()]).ToListAsync();

        Assert.That(llm.Requests.Select(r => r.Options!.Seed).Order(), Is.EqualTo(new long?[] { 7, 8, 9 }));
        Assert.That(rows.Select(r => (string?)r["model_name"]), Is.All.EqualTo("judge-large"));
    }

    [Test]
    [CancelAfter(10_000)]
    public async Task A_finished_row_is_yielded_before_the_next_input_row_arrives()
    {
        // The source sends its second row only after the first output row has been received.
        var firstOutputSeen = new TaskCompletionSource();
        async IAsyncEnumerable<JsonObject> Source()
        {
            yield return Row("first");
            await firstOutputSeen.Task;
            yield return Row("second");
        }
        var task = Task(new ScriptedChatClient(_ => ScriptedChatClient.Answer(GoodAnswer)));

        var titles = new List<string?>();
        await foreach (var row in task.ProcessAsync(Source()))
        {
            titles.Add((string?)row["title"]);
            firstOutputSeen.TrySetResult();
        }

        Assert.That(titles, Is.EqualTo(new[] { "first", "second" }));
    }

    [Test]
    public async Task Upstream_metadata_is_kept_beside_the_task_keys()
    {
        var row = Row();
        row["distilabel_metadata"] = new JsonObject { ["raw_output_earlier"] = "x" };
        var task = Task(new ScriptedChatClient(_ => ScriptedChatClient.Answer(GoodAnswer)));

        var output = (await task.ProcessAsync([row]).ToListAsync()).Single();

        Assert.That((string?)output["distilabel_metadata"]!["raw_output_earlier"], Is.EqualTo("x"));
        Assert.That((string?)output["distilabel_metadata"]!["raw_output_summary"], Is.EqualTo(GoodAnswer));
    }

    [Test]
    public async Task Input_rows_are_not_modified()
    {
        var row = Row();
        var before = row.ToJsonString();

        await Task(new ScriptedChatClient(_ => ScriptedChatClient.Answer(GoodAnswer))).ProcessAsync([row]).ToListAsync();

        Assert.That(row.ToJsonString(), Is.EqualTo(before));
    }

    [Test]
    public async Task UseDefaultStructuredOutput_sends_the_schema_as_response_format()
    {
        var llm = new ScriptedChatClient(_ => ScriptedChatClient.Answer(GoodAnswer));
        var task = Task(llm);
        task.UseDefaultStructuredOutput = true;
        task.GenerationOptions = new ChatOptions { Temperature = 0.2f };

        await task.ProcessAsync([Row()]).ToListAsync();

        var options = llm.Requests.Single().Options!;
        Assert.That(options.Temperature, Is.EqualTo(0.2f));
        var format = options.ResponseFormat as ChatResponseFormatJson;
        Assert.That(format?.Schema, Is.Not.Null);
        Assert.That(format!.SchemaName, Is.EqualTo("summary"));
        Assert.That(JsonSerializer.Serialize(format.Schema), Is.EqualTo(new SummaryTask().StructuredOutputSchema));
    }

    [Test]
    public async Task Without_structured_output_no_response_format_is_sent()
    {
        var llm = new ScriptedChatClient(_ => ScriptedChatClient.Answer(GoodAnswer));

        await Task(llm).ProcessAsync([Row()]).ToListAsync();

        Assert.That(llm.Requests.Single().Options?.ResponseFormat, Is.Null);
    }

    [Test]
    public void Missing_input_column_is_a_clear_error_naming_row_and_column()
    {
        var task = Task(new ScriptedChatClient(_ => ScriptedChatClient.Answer(GoodAnswer)));
        var bad = Rows.Parse("""{"title":"x","key_points":[]}""");

        var error = Assert.ThrowsAsync<RowValueException>(() => task.ProcessAsync([Row(), bad]).ToListAsync());

        Assert.That(error!.Message, Does.Contain("Task 'summary' cannot read input row 1").And.Contain("column 'max_words' is missing"));
    }

    [Test]
    public void Wrong_value_type_names_the_column_and_the_element()
    {
        var task = Task(new ScriptedChatClient(_ => ScriptedChatClient.Answer(GoodAnswer)));
        var bad = Rows.Parse("""{"title":"x","max_words":3,"key_points":["ok",{"no":1}]}""");

        var error = Assert.ThrowsAsync<RowValueException>(() => task.ProcessAsync([bad]).ToListAsync());

        Assert.That(error!.Message, Does.Contain("at column 'key_points'[1]: expected a string but found an object"));
    }

    [Test]
    public void Processing_without_an_LLM_says_what_to_set()
    {
        var error = Assert.ThrowsAsync<InvalidOperationException>(async () => await new SummaryTask().ProcessAsync([Row()]).ToListAsync());

        Assert.That(error!.Message, Does.Contain("Task 'summary' has no LLM"));
    }

    [Test]
    public void Cancellation_stops_the_run_instead_of_imputing()
    {
        using var cancellation = new CancellationTokenSource();
        var llm = new ScriptedChatClient(r =>
        {
            if (r.CallNumber == 1) cancellation.Cancel();
            cancellation.Token.ThrowIfCancellationRequested();
            return ScriptedChatClient.Answer(GoodAnswer);
        });

        Assert.CatchAsync<OperationCanceledException>(() =>
            Task(llm).ProcessAsync([Row(), Row(), Row()], cancellation.Token).ToListAsync());
    }

    [Test]
    public void Settings_reject_values_that_make_no_sense()
    {
        var task = new SummaryTask();

        Assert.Throws<ArgumentOutOfRangeException>(() => task.NumGenerations = 0);
        Assert.Throws<ArgumentOutOfRangeException>(() => task.MaxConcurrency = 0);
        Assert.Throws<ArgumentException>(() => task.Name = " ");
        Assert.That(task.Name, Is.EqualTo("summary"));
        Assert.That(task.Inputs, Is.EqualTo(new[] { "title", "max_words", "key_points" }));
        Assert.That(task.Outputs, Is.EqualTo(new[] { "summary", "word_count" }));
    }

    /// <summary>An LLM whose answers may wait, to test what runs while one request is slow.</summary>
    private sealed class AsyncScriptedClient(Func<ScriptedRequest, CancellationToken, Task<ChatResponse>> script) : IChatClient
    {
        public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
            script(new ScriptedRequest(messages.ToList(), options, 0), cancellationToken);

        public IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
            throw new NotSupportedException();

        public object? GetService(Type serviceType, object? serviceKey = null) => null;

        public void Dispose()
        {
        }
    }

    [Test]
    public void Structured_output_reads_JSON_even_when_the_task_has_its_own_parser()
    {
        var task = new RatingTask();
        var input = task.PlaceholderInput();
        Assert.That(task.FormatOutput("Rating: 4", input)?.Rating, Is.EqualTo(4), "the task's own format");
        Assert.That(task.FormatOutput("{\"rating\": 4}", input), Is.Null, "the own parser does not read JSON");

        task.UseDefaultStructuredOutput = true;

        Assert.That(task.FormatOutput("{\"rating\": 4}", input)?.Rating, Is.EqualTo(4));
        Assert.That(task.FormatOutput("Rating: 4", input), Is.Null);
    }
}
