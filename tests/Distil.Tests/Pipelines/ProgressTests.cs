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
    private string _runs = null!;

    [SetUp]
    public void CreateRunFolder()
    {
        _runs = Directory.CreateTempSubdirectory("distil-progress-").FullName;
        Server.Reply = FakeReplies.Answering(r => "answer").WithLatency(TimeSpan.FromMilliseconds(20));
    }

    [TearDown]
    public void DeleteRunFolder() => Directory.Delete(_runs, recursive: true);

    private Pipeline Build(string name)
    {
        var pipeline = Pipeline.Create(name);
        pipeline.RunDirectory = Path.Combine(_runs, name);
        pipeline.Load(Enumerable.Range(0, 60).Select(i => new JsonObject { ["instruction"] = $"q{i}" }))
            .Then(new TextGeneration { Llm = FakeServerClients.OpenAI(Server), MaxConcurrency = 4 })
            .KeepColumns("instruction", "generation");
        return pipeline;
    }

    [Test]
    public async Task Without_a_terminal_each_step_logs_rows_calls_tokens_rate_and_eta()
    {
        var logger = new ListLogger();
        var pipeline = Build("logged");
        pipeline.Logger = logger;

        await pipeline.RunAsync(new PipelineRunOptions { Progress = ProgressMode.Log, ProgressInterval = TimeSpan.FromMilliseconds(50) });

        var lines = logger.Entries.Select(e => e.Message).Where(m => m.Contains("step text_generation:")).ToList();
        Assert.That(lines, Is.Not.Empty);
        Assert.That(lines, Has.Some.Match(@"rows in \d+, out \d+, replayed 0, in flight [1-4], failed 0, retries 0, tokens \d+/\d+, [\d.,]+ rows/s, ETA \d+:\d\d:\d\d"),
            string.Join("\n", lines));
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

        await Build("live").RunAsync(new PipelineRunOptions { Progress = ProgressMode.Live, Console = console });

        var text = output.ToString();
        Assert.That(text, Does.Contain("Replayed").And.Contain("Tokens in/out").And.Contain("Rows/s").And.Contain("ETA"));
        Assert.That(text, Does.Contain("load_data").And.Contain("text_generation").And.Contain("keep_columns").And.Contain("done"));
    }
}
