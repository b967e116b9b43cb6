using System.Text.Json.Nodes;
using Distil.Pipelines;
using Distil.Tasks;
using Distil.Testing;
using Distil.Tests.Providers;
using Distil.Tests.Support;
using NUnit.Framework;
using Spectre.Console;

namespace Distil.Tests.Pipelines;

/// <summary>What a run shows while it goes: a live table on a terminal, log lines otherwise.</summary>
public class ProgressTests : FakeServerTests
{
    private TempFolder _temp = null!;

    [SetUp]
    public void CreateRunFolder()
    {
        _temp = new TempFolder("distil-progress-");
        Server.Reply = FakeReplies.Answering(r => "answer").WithLatency(TimeSpan.FromMilliseconds(20));
    }

    [TearDown]
    public void DeleteRunFolder() => _temp.Dispose();

    private Pipeline Build(string name)
    {
        var pipeline = Pipeline.Create(name);
        pipeline.RunDirectory = Path.Combine(_temp.Path, name);
        pipeline.Load(Enumerable.Range(0, 60).Select(i => new JsonObject { ["instruction"] = $"q{i}" }))
            .Then(new TextGeneration { Llm = FakeServerClients.OpenAI(Server), MaxConcurrency = 4 })
            .KeepColumns("instruction", "generation");
        return pipeline;
    }

    // A progress line of the log, and what may not be in one: an empty field ("in flight , ", ": ,", a
    // dangling comma or "eta") or a clock-style ETA (1:52:06).
    private const string EmptyField = @"[a-zA-Z/] ,|, ,|:\s*,|eta\s*$|,\s*$|\d+:\d\d:\d\d";

    private static List<string> ProgressLines(ListLogger logger, string pipeline) =>
        logger.Entries.Select(e => e.Message).Where(m => m.StartsWith($"Pipeline '{pipeline}' step ", StringComparison.Ordinal)).ToList();

    [Test]
    public async Task Without_a_terminal_a_task_logs_rows_calls_tokens_and_rate_and_each_step_says_when_it_is_done()
    {
        var logger = new ListLogger();
        var pipeline = Build("logged");
        pipeline.Logger = logger;

        await pipeline.RunAsync(new PipelineRunOptions { Progress = ProgressMode.Log, ProgressInterval = TimeSpan.FromMilliseconds(50) });

        var lines = ProgressLines(logger, "logged");
        Assert.That(lines, Has.Some.Match(@"step text_generation: [\d,]+ of 60 rows in \(\d+%\), [\d,]+ out, (\d+ in flight, )?0 failed calls, (concurrency limit \d+, )?[\d,]+/[\d,]+ tokens in/out, [\d.,]+ rows/(s|min)$"),
            string.Join("\n", lines));
        foreach (var step in new[] { "load_data", "text_generation", "keep_columns" })
        {
            Assert.That(lines.Count(l => l.Contains($"step {step} done: 60 rows in, 60 out")), Is.EqualTo(1), $"one line when {step} finishes:\n" + string.Join("\n", lines));
        }
    }

    [Test]
    public async Task Log_lines_name_only_the_fields_a_step_has_and_leave_none_empty()
    {
        var logger = new ListLogger();
        var pipeline = Build("fields");
        pipeline.Logger = logger;

        await pipeline.RunAsync(new PipelineRunOptions { Progress = ProgressMode.Log, ProgressInterval = TimeSpan.FromMilliseconds(50) });

        var lines = ProgressLines(logger, "fields");
        var plain = lines.Where(m => !m.Contains("step text_generation")).ToList();
        Assert.That(plain, Is.Not.Empty, "the source and the keep step log too");
        // A plain step has no calls or tokens: its line leaves them out rather than showing "in flight , failed , retries ,".
        Assert.That(plain, Has.All.Match(@"^Pipeline 'fields' step [^: ]+( done)?: [\d,]+( of [\d,]+)? rows in( \(\d+%\))?, [\d,]+ out(, [\d.,]+ rows/(s|min))?(, in \d+(s|m \d+s))?$"),
            string.Join("\n", plain));
        Assert.That(lines, Has.None.Match(EmptyField), string.Join("\n", lines));
    }

    [Test]
    public async Task A_twenty_minute_run_of_two_tasks_logs_under_a_hundred_lines_with_the_default_interval()
    {
        // Each call moves a fake clock half a second: 2 x 1,200 calls are 20 minutes of the run's time,
        // played in a few seconds. The default interval, as a user gets it.
        var time = new Microsoft.Extensions.Time.Testing.FakeTimeProvider();
        const int rows = 1_200;
        var started = time.GetUtcNow();
        ScriptedChatClient Model() => new ScriptedChatClient(request =>
        {
            time.Advance(TimeSpan.FromMilliseconds(500));
            return ScriptedChatClient.Answer("answer to " + request.UserText);
        }) { Delay = TimeSpan.FromMilliseconds(1) };
        var logger = new ListLogger();
        var pipeline = Pipeline.Create("long");
        pipeline.RunDirectory = Path.Combine(_temp.Path, "long");
        pipeline.Logger = logger;
        pipeline.Load(Enumerable.Range(0, rows).Select(i => new JsonObject { ["instruction"] = $"q{i}" }))
            .Then(new TextGeneration { Name = "draft", Llm = Model(), MaxConcurrency = 1 }, new ColumnMappings { Outputs = new Dictionary<string, string> { ["generation"] = "draft" } })
            .Then(new TextGeneration { Name = "polish", Llm = Model(), MaxConcurrency = 1 },
                new ColumnMappings { Inputs = new Dictionary<string, string> { ["instruction"] = "draft" }, Outputs = new Dictionary<string, string> { ["generation"] = "polished" } })
            .KeepColumns("instruction", "draft", "polished");

        await pipeline.RunAsync(new PipelineRunOptions { Progress = ProgressMode.Log, TimeProvider = time });

        var lines = ProgressLines(logger, "long");
        var report = $"{lines.Count} lines:\n" + string.Join("\n", lines);
        await TestContext.Out.WriteLineAsync(report);
        Assert.That(time.GetUtcNow() - started, Is.GreaterThanOrEqualTo(TimeSpan.FromMinutes(20)), "the run took 20 minutes of its clock");
        Assert.That(lines, Has.Count.LessThan(100), report);
        foreach (var task in new[] { "draft", "polish" })
        {
            // Every 30 s for 5 minutes, then a tenth of the run: about 24 lines in 20 minutes (fewer if the loop lagged the clock).
            Assert.That(lines.Count(l => l.Contains($"step {task}: ")), Is.InRange(8, 30), report);
        }
        foreach (var step in new[] { "load_data", "draft", "polish", "keep_columns" })
        {
            Assert.That(lines.Count(l => l.Contains($"step {step} done: ")), Is.EqualTo(1), report);
        }
        Assert.That(lines.Where(l => !l.Contains(" done: ")), Has.All.Match(@"step (draft|polish): "), "while a task runs, only tasks log as they go: " + report);
        Assert.That(lines, Has.Some.Match(@", eta (\d+m|\d+h \d+m)$"), "a steady rate gives an ETA once the step has run a minute: " + report);
        Assert.That(lines, Has.None.Match(EmptyField), report);
    }

    [Test]
    public async Task On_a_terminal_a_live_table_shows_every_step()
    {
        var output = new StringWriter();
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(output), Ansi = AnsiSupport.No, ColorSystem = ColorSystemSupport.NoColors, Interactive = InteractionSupport.Yes,
        });
        console.Profile.Width = 160;

        await Build("live").RunAsync(new PipelineRunOptions { Progress = ProgressMode.Live, ProgressDisplay = ConsoleProgress.LiveTable(console) });

        var text = output.ToString();
        Assert.That(text, Does.Contain("Replay").And.Contain("Tok in/out").And.Contain("Rows/s").And.Contain("ETA"));
        Assert.That(text, Does.Contain("load_data").And.Contain("text_generation").And.Contain("keep_columns").And.Contain("done"));
    }

    [Test]
    public async Task The_live_table_fits_an_80_column_terminal_one_line_per_step()
    {
        var output = new StringWriter();
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(output), Ansi = AnsiSupport.No, ColorSystem = ColorSystemSupport.NoColors, Interactive = InteractionSupport.Yes,
        });
        console.Profile.Width = 80;

        await Build("narrow").RunAsync(new PipelineRunOptions { Progress = ProgressMode.Live, ProgressDisplay = ConsoleProgress.LiveTable(console) });

        var lines = output.ToString().Split('\n').Select(l => l.TrimEnd('\r')).ToList();
        var last = lines.FindLastIndex(l => l.TrimStart().StartsWith("keep_columns ", StringComparison.Ordinal));
        var header = lines.FindLastIndex(last, l => l.TrimStart().StartsWith("Step ", StringComparison.Ordinal));
        var table = lines[header..(last + 1)];
        Assert.That(table.Max(l => l.Length), Is.LessThanOrEqualTo(80), string.Join("\n", table.Select(l => $"[{l}]")));
        Assert.That(table, Has.One.Match(@"^\s*text_generation\s+\d+\s+\d+\s+\d+\s+\d+/\d+\s+\d+/\d+/\d+\s+[\d,]+/[\d,]+\s+[\d.,]+\s+done\s*$"),
            "the task's whole row on one line, no cell wrapped: " + string.Join("\n", table));
    }

    [Test]
    public async Task The_live_table_the_summary_line_and_the_result_show_the_same_counts()
    {
        // Faults on a third of the calls and one retry: some calls are retried, some fail for good.
        Server.Reply = FakeReplies.Answering(r => "answer to " + r.LastMessage).WithTransientFaults(0.35, seed: 3);
        var logger = new ListLogger();
        var output = new StringWriter();
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(output), Ansi = AnsiSupport.No, ColorSystem = ColorSystemSupport.NoColors, Interactive = InteractionSupport.Yes,
        });
        console.Profile.Width = 200;
        var pipeline = Pipeline.Create("agree");
        pipeline.RunDirectory = Path.Combine(_temp.Path, "agree");
        pipeline.Logger = logger;
        var llm = FakeServerClients.OpenAI(Server, resilience: new ResilienceOptions { MaxRetries = 1, BaseDelay = TimeSpan.FromMilliseconds(1), MaxDelay = TimeSpan.FromMilliseconds(5) });
        pipeline.Load(Enumerable.Range(0, 200).Select(i => new JsonObject { ["instruction"] = $"q{i}" }))
            .Then(new TextGeneration { Name = "answer", Llm = llm, MaxConcurrency = 8, Logger = logger });

        var result = await pipeline.RunAsync(new PipelineRunOptions { Progress = ProgressMode.Live, ProgressDisplay = ConsoleProgress.LiveTable(console) });

        var stats = result.Tasks["answer"];
        Assert.That(stats.Retries, Is.GreaterThan(0), "the faults caused retries");
        Assert.That(stats.FailedCalls, Is.GreaterThan(0), "some calls failed for good");
        Assert.That(stats.Calls + stats.FailedCalls, Is.EqualTo(200), "every row made one call that ended one way or the other");
        Assert.That(Server.RequestCount, Is.EqualTo(200 + stats.Retries), "each retry is one more request at the server");

        // The summary line of the task.
        var summary = logger.Entries.Select(e => e.Message).Single(m => m.StartsWith("Task 'answer' finished", StringComparison.Ordinal));
        var said = System.Text.RegularExpressions.Regex.Match(summary, @"(\d+) rows, (\d+) answers \((\d+) unparsed\), (\d+) failed LLM calls.*; (\d+) input and (\d+) output tokens");
        Assert.That(said.Success, summary);
        Assert.That(
            (long.Parse(said.Groups[1].Value), long.Parse(said.Groups[2].Value), long.Parse(said.Groups[4].Value), long.Parse(said.Groups[5].Value), long.Parse(said.Groups[6].Value)),
            Is.EqualTo((200L, stats.Calls, stats.FailedCalls, stats.InputTokens, stats.OutputTokens)));

        // The last refresh of the live table: Step, In, Out, Replay, Flight/Limit, Fail/Retry/Refused, Tokens in/out.
        var row = output.ToString().Split('\n').Last(l => l.TrimStart().StartsWith("answer ", StringComparison.Ordinal));
        var cells = row.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        Assert.That(cells[0..4], Is.EqualTo(new[] { "answer", "200", "200", "0" }), row);
        Assert.That(cells[4], Does.Match(@"^0/\d+$"), "nothing in flight at the end, and the model's limit");
        Assert.That(cells[5], Does.StartWith($"{stats.FailedCalls:N0}/{stats.Retries:N0}/"), row);
        Assert.That(cells[6], Is.EqualTo($"{stats.InputTokens:N0}/{stats.OutputTokens:N0}"), row);
    }
}
