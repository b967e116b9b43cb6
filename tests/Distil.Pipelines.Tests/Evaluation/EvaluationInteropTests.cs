using System.Text.Json.Nodes;
using Distil.Pipelines;
using Distil.Tasks;
using Distil.Testing;
using Distil.Tests.Providers;
using Distil.Tests.Support;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.AI.Evaluation;
using NUnit.Framework;

namespace Distil.Tests.Evaluation;

/// <summary>
/// Microsoft.Extensions.AI.Evaluation both ways: any IEvaluator as a pipeline step whose metrics
/// are typed columns, and the built-in judges as IEvaluators, judging through the fake server.
/// </summary>
public class EvaluationInteropTests : FakeServerTests
{
    private TempFolder _temp = null!;

    [SetUp]
    public void CreateFolder() => _temp = new TempFolder("distil-evaluate-");

    [TearDown]
    public void DeleteFolder() => _temp.Dispose();

    /// <summary>An evaluator as a user would write one: counts words, checks politeness, names a language; fails on request.</summary>
    private sealed class HouseStyleEvaluator : IEvaluator
    {
        public int Calls;

        public IReadOnlyCollection<string> EvaluationMetricNames => ["Word Count", "IsPolite", "Language"];

        public ValueTask<EvaluationResult> EvaluateAsync(IEnumerable<ChatMessage> messages, ChatResponse modelResponse, ChatConfiguration? chatConfiguration = null,
            IEnumerable<EvaluationContext>? additionalContext = null, CancellationToken cancellationToken = default)
        {
            Interlocked.Increment(ref Calls);
            var text = modelResponse.Text;
            if (text.Contains("explode")) throw new InvalidOperationException("the evaluator broke on this one");
            var audience = additionalContext?.FirstOrDefault(c => c.Name == "audience")?.Contents.OfType<TextContent>().Single().Text;
            var words = new NumericMetric("Word Count", text.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length, reason: $"for {audience ?? "anyone"}");
            if (words.Value > 5) words.Diagnostics = [EvaluationDiagnostic.Warning("long answer")];
            return ValueTask.FromResult(new EvaluationResult(
                words,
                new BooleanMetric("IsPolite", text.Contains("please", StringComparison.OrdinalIgnoreCase)),
                new StringMetric("Language", messages.Last().Text.StartsWith("Bonjour") ? "fr" : "en")));
        }
    }

    private Pipeline Build(IEvaluator evaluator, IEnumerable<JsonObject> rows)
    {
        var pipeline = Pipeline.Create("evaluate");
        pipeline.RunDirectory = Path.Combine(_temp.Path, "run");
        pipeline.Load(rows).Evaluate(evaluator, request: "question", response: "answer", new EvaluateOptions
        {
            MetricTypes = new Dictionary<string, ColumnType> { ["IsPolite"] = ColumnType.Boolean, ["Language"] = ColumnType.String },
            ContextColumns = ["audience"],
            MaxConcurrency = 3,
        });
        return pipeline;
    }

    private static List<JsonObject> Rows() =>
    [
        new() { ["question"] = "Hello?", ["answer"] = "Hi there, please sit.", ["audience"] = "kids" },
        new() { ["question"] = "Bonjour?", ["answer"] = "Salut.", ["audience"] = null },
        new() { ["question"] = "Boom?", ["answer"] = "It will explode", ["audience"] = "adults" },
        new() { ["question"] = "Long?", ["answer"] = "one two three four five six seven", ["audience"] = "adults" },
    ];

    [Test]
    public async Task Any_evaluator_is_a_step_whose_metrics_are_typed_columns_kept_in_the_run_store()
    {
        var evaluator = new HouseStyleEvaluator();
        Assert.That((await Build(evaluator, Rows()).ValidateAsync()).ToString(),
            Does.Contain("word_count: double").And.Contain("word_count_reason: string").And.Contain("is_polite: bool")
                .And.Contain("language: string").And.Contain("evaluation_diagnostics: list<string>"), "typed columns before any evaluation");

        var result = await Build(evaluator, Rows()).RunAsync(new PipelineRunOptions { Progress = ProgressMode.None });
        var rows = await result.Dataset.ToListAsync();

        Assert.That(rows.Select(r => (double?)r["word_count"]), Is.EqualTo(new double?[] { 4, 1, null, 7 }));
        Assert.That(rows.Select(r => (bool?)r["is_polite"]), Is.EqualTo(new bool?[] { true, false, null, false }));
        Assert.That(rows.Select(r => (string?)r["language"]), Is.EqualTo(new[] { "en", "fr", null, "en" }));
        Assert.That((string?)rows[0]["word_count_reason"], Is.EqualTo("for kids"), "the context column reached the evaluator");
        Assert.That((string?)rows[1]["word_count_reason"], Is.EqualTo("for anyone"), "a null context column is not passed");
        Assert.That(rows[2]["evaluation_diagnostics"]!.AsArray().Select(d => (string?)d), Is.EqualTo(new[] { "error: InvalidOperationException: the evaluator broke on this one" }));
        Assert.That(rows[3]["evaluation_diagnostics"]!.AsArray().Select(d => (string?)d), Is.EqualTo(new[] { "warning: Word Count: long answer" }));
        Assert.That(evaluator.Calls, Is.EqualTo(4));

        var again = await Build(evaluator, Rows()).RunAsync(new PipelineRunOptions { Progress = ProgressMode.None });
        Assert.That(evaluator.Calls, Is.EqualTo(4), "a rerun evaluates nothing twice");
        Assert.That((await again.Dataset.ToListAsync()).Select(r => r.ToJsonString()), Is.EqualTo(rows.Select(r => r.ToJsonString())));
    }

    /// <summary>Waits, each call, until as many calls as it expects are in at once (or a while has passed): what the step's concurrency allows is what it sees.</summary>
    private sealed class CrowdCountingEvaluator(int expected) : IEvaluator
    {
        private int _inside;
        public int MostAtOnce;

        public IReadOnlyCollection<string> EvaluationMetricNames => ["Length"];

        public async ValueTask<EvaluationResult> EvaluateAsync(IEnumerable<ChatMessage> messages, ChatResponse modelResponse, ChatConfiguration? chatConfiguration = null,
            IEnumerable<EvaluationContext>? additionalContext = null, CancellationToken cancellationToken = default)
        {
            var inside = Interlocked.Increment(ref _inside);
            InterlockedMax(ref MostAtOnce, inside);
            var waited = System.Diagnostics.Stopwatch.StartNew();
            while (Volatile.Read(ref MostAtOnce) < expected && waited.Elapsed < TimeSpan.FromSeconds(2)) await Task.Delay(5, cancellationToken);
            // Later rows finish first, so that the step must put them back in order.
            await Task.Delay(modelResponse.Text.Length, cancellationToken);
            Interlocked.Decrement(ref _inside);
            return new EvaluationResult(new NumericMetric("Length", modelResponse.Text.Length));
        }

        private static void InterlockedMax(ref int target, int value)
        {
            for (var seen = Volatile.Read(ref target); value > seen; seen = Volatile.Read(ref target))
            {
                if (Interlocked.CompareExchange(ref target, value, seen) == seen) return;
            }
        }
    }

    [Test]
    public async Task Rows_are_evaluated_up_to_MaxConcurrency_at_once_and_come_out_in_order()
    {
        var evaluator = new CrowdCountingEvaluator(expected: 3);
        var pipeline = Pipeline.Create("crowd");
        pipeline.RunDirectory = Path.Combine(_temp.Path, "run");
        var answers = Enumerable.Range(0, 9).Select(i => new string('x', 40 - 4 * i)).ToList();
        pipeline.Load(answers.Select(a => new JsonObject { ["question"] = "q", ["answer"] = a }))
            .Evaluate(evaluator, "question", "answer", new EvaluateOptions { MaxConcurrency = 3 });

        var rows = await (await pipeline.RunAsync(new PipelineRunOptions { Progress = ProgressMode.None })).Dataset.ToListAsync();

        Assert.That(evaluator.MostAtOnce, Is.EqualTo(3), "three rows at once, never more");
        Assert.That(rows.Select(r => (double?)r["length"]), Is.EqualTo(answers.Select(a => (double?)a.Length)), "in input order");
    }

    [Test]
    public async Task A_metric_of_another_kind_than_declared_is_a_diagnostic_and_unknown_declarations_are_refused()
    {
        var pipeline = Pipeline.Create("evaluate");
        pipeline.RunDirectory = Path.Combine(_temp.Path, "run");
        pipeline.Load(Rows().Take(1)).Evaluate(new HouseStyleEvaluator(), "question", "answer");
        var rows = await (await pipeline.RunAsync(new PipelineRunOptions { Progress = ProgressMode.None })).Dataset.ToListAsync();

        Assert.That(rows[0]["is_polite"], Is.Null);
        Assert.That(rows[0]["evaluation_diagnostics"]!.AsArray().Select(d => (string?)d),
            Has.Some.EqualTo("error: IsPolite came as a BooleanMetric, but its column is declared double (set EvaluateOptions.MetricTypes)"));

        var error = Assert.Throws<ArgumentException>(() => Pipeline.Create("x").Load(Rows()).Evaluate(new HouseStyleEvaluator(), "question", "answer",
            new EvaluateOptions { MetricTypes = new Dictionary<string, ColumnType> { ["IsPolit"] = ColumnType.Boolean } }));
        Assert.That(error!.Message, Does.Contain("names 'IsPolit'").And.Contain("Did you mean 'IsPolite'?"));
    }

    [Test]
    public void A_missing_request_column_is_refused_before_any_evaluation()
    {
        var evaluator = new HouseStyleEvaluator();
        var pipeline = Pipeline.Create("evaluate");
        pipeline.RunDirectory = Path.Combine(_temp.Path, "run");
        pipeline.Load(Rows()).Evaluate(evaluator, request: "questoin", response: "answer");

        var error = Assert.ThrowsAsync<PipelineException>(() => pipeline.RunAsync(new PipelineRunOptions { Progress = ProgressMode.None }));
        Assert.That(error!.Message, Does.Contain("questoin").And.Contain("question"));
        Assert.That(evaluator.Calls, Is.Zero);
    }

    [TestCase("Word Count", "word_count")]
    [TestCase("IsPolite", "is_polite")]
    [TestCase("Relevance (RTC)", "relevance_rtc")]
    [TestCase("BLEU", "bleu")]
    [TestCase("F1Score", "f1_score")]
    public async Task Metric_names_become_snake_case_columns(string metric, string column)
    {
        var pipeline = Pipeline.Create("names");
        pipeline.Load(Rows()).Evaluate(new NamedMetrics(metric), "question", "answer");
        Assert.That((await pipeline.ValidateAsync()).ToString(), Does.Contain($"{column}: double").And.Contain($"{column}_reason: string"));
    }

    private sealed class NamedMetrics(string name) : IEvaluator
    {
        public IReadOnlyCollection<string> EvaluationMetricNames => [name];

        public ValueTask<EvaluationResult> EvaluateAsync(IEnumerable<ChatMessage> messages, ChatResponse modelResponse, ChatConfiguration? chatConfiguration = null,
            IEnumerable<EvaluationContext>? additionalContext = null, CancellationToken cancellationToken = default) =>
            ValueTask.FromResult(new EvaluationResult(new NumericMetric(name, 1)));
    }

    [Test]
    public async Task UltraFeedback_as_an_evaluator_scores_one_response_with_its_rationale_as_the_reason()
    {
        Server.Reply = _ => new FakeReply.Answer("Rating: 4\nRationale: Correct, a little terse.");
        var judge = new UltraFeedback().AsEvaluator();
        var llm = FakeServerClients.Factory(Server).Create("openai:fake-judge");

        var result = await judge.EvaluateAsync([new ChatMessage(ChatRole.User, "What is two plus two?")],
            new ChatResponse(new ChatMessage(ChatRole.Assistant, "Four.")), new ChatConfiguration(llm));

        Assert.That(judge.EvaluationMetricNames, Is.EquivalentTo(new[] { "ratings", "types", "rationales-for-ratings" }), "rationales are the reason, not a metric");
        var rating = result.Get<NumericMetric>("ratings");
        Assert.That(rating.Value, Is.EqualTo(4));
        Assert.That(rating.Reason, Is.EqualTo("Correct, a little terse."));
        Assert.That(rating.Diagnostics ?? [], Is.Empty);
        Assert.That(rating.Metadata!["model"], Is.EqualTo("fake-judge"));
        var prompt = Server.Requests.Single().LastMessage;
        Assert.That(prompt, Does.Contain("What is two plus two?").And.Contain("Four."), "the request and the response reached the judge");
    }

    [Test]
    public async Task Prometheus_as_an_evaluator_takes_a_reference_from_the_context_and_reports_an_unreadable_verdict()
    {
        var llm = FakeServerClients.Factory(Server).Create("openai:fake-judge");
        var judge = new PrometheusEval { Rubric = "helpfulness" }.AsEvaluator();
        IEnumerable<ChatMessage> question = [new ChatMessage(ChatRole.System, "Be kind."), new ChatMessage(ChatRole.User, "Name a primary colour.")];
        var answer = new ChatResponse(new ChatMessage(ChatRole.Assistant, "Red."));

        Server.Reply = _ => new FakeReply.Answer("Short and right.\n[RESULT] 5");
        var graded = await judge.EvaluateAsync(question, answer, new ChatConfiguration(llm), [new ColumnContext("reference", "Red, blue or yellow.")]);
        Assert.That(graded.Get<NumericMetric>("result").Value, Is.EqualTo(5));
        Assert.That(graded.Get<NumericMetric>("result").Reason, Is.EqualTo("Short and right."));
        Assert.That(Server.Requests.Last().LastMessage, Does.Contain("Red, blue or yellow.").And.Contain("Name a primary colour."));

        Server.Reply = _ => new FakeReply.Answer("I cannot decide.");
        var unreadable = await judge.EvaluateAsync(question, answer, new ChatConfiguration(llm));
        var metric = unreadable.Get<NumericMetric>("result");
        Assert.That(metric.Value, Is.Null);
        Assert.That(metric.Diagnostics!.Single().Severity, Is.EqualTo(EvaluationDiagnosticSeverity.Error));
        Assert.That(metric.Diagnostics!.Single().Message, Does.Contain("I cannot decide."));
    }

    [Test]
    public async Task A_judge_runs_as_an_evaluation_step_too()
    {
        Server.Reply = request => new FakeReply.Answer(request.LastMessage.Contains("Paris") ? "Right.\n[RESULT] 5" : "Wrong.\n[RESULT] 1");
        var llm = FakeServerClients.Factory(Server).Create("openai:fake-judge");
        var pipeline = Pipeline.Create("judged");
        pipeline.RunDirectory = Path.Combine(_temp.Path, "run");
        pipeline.Load([
                new JsonObject { ["question"] = "Capital of France?", ["answer"] = "Paris." },
                new JsonObject { ["question"] = "Capital of France?", ["answer"] = "Lyon." },
            ])
            .Evaluate(new PrometheusEval().AsEvaluator(), "question", "answer", new EvaluateOptions { ChatClient = llm });

        var rows = await (await pipeline.RunAsync(new PipelineRunOptions { Progress = ProgressMode.None })).Dataset.ToListAsync();

        Assert.That(rows.Select(r => (double?)r["result"]), Is.EqualTo(new double?[] { 5, 1 }));
        Assert.That(rows.Select(r => (string?)r["result_reason"]), Is.EqualTo(new[] { "Right.", "Wrong." }));
    }

    [Test]
    public void A_task_without_an_obvious_response_column_asks_for_one()
    {
        var error = Assert.Throws<ArgumentException>(() => new ComplexityScorer().AsEvaluator());
        Assert.That(error!.Message, Does.Contain("TaskEvaluatorOptions.ResponseColumn").And.Contain("instructions"));
    }
}
