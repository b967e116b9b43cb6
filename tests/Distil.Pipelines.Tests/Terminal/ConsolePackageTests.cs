using System.Text.Json.Nodes;
using Distil.Pipelines;
using Distil.Tasks;
using Distil.Tests.Support;
using NUnit.Framework;

namespace Distil.Tests.Terminal;

/// <summary>
/// Distil.Console is the only part that draws on the terminal: Distil itself has no Spectre.Console,
/// and a run reaches the live table through the public progress seam (<see cref="IPipelineProgress"/>).
/// </summary>
public class ConsolePackageTests
{
    private TempFolder _temp = null!;

    [SetUp]
    public void CreateRunFolder() => _temp = new TempFolder("distil-console-");

    [TearDown]
    public void DeleteRunFolder() => _temp.Dispose();

    [Test]
    public void Distil_does_not_reference_Spectre_Console_and_no_Spectre_type_is_in_its_public_api()
    {
        var distil = typeof(LlmTask).Assembly;

        Assert.That(distil.GetReferencedAssemblies().Select(a => a.Name), Has.None.StartsWith("Spectre"),
            "Distil draws nothing on the terminal: prompt printing and the live table are in Distil.Console");
        var publicTypes = distil.GetExportedTypes().Where(t => t.GetMethods().Concat<System.Reflection.MemberInfo>(t.GetProperties()).Any(MentionsSpectre)).Select(t => t.FullName);
        Assert.That(publicTypes, Is.Empty);
        Assert.That(typeof(ConsoleProgress).Assembly.GetName().Name, Is.EqualTo("Distil.Console"));
        Assert.That(typeof(PromptPrinter).Assembly.GetName().Name, Is.EqualTo("Distil.Console"));
    }

    private static bool MentionsSpectre(System.Reflection.MemberInfo member) => member switch
    {
        System.Reflection.MethodInfo method => method.ReturnType.Namespace?.StartsWith("Spectre", StringComparison.Ordinal) == true
            || method.GetParameters().Any(p => p.ParameterType.Namespace?.StartsWith("Spectre", StringComparison.Ordinal) == true),
        System.Reflection.PropertyInfo property => property.PropertyType.Namespace?.StartsWith("Spectre", StringComparison.Ordinal) == true,
        _ => false,
    };

    [Test]
    public void The_prompt_text_is_there_without_the_console_package()
    {
        var task = new TextGeneration();

        var placeholder = task.FormatPrompt(null);
        var real = task.FormatPrompt(new JsonObject { ["instruction"] = "Name a colour." });

        Assert.That(placeholder.Last().Text, Does.Contain("PLACEHOLDER"));
        Assert.That(real.Last().Text, Is.EqualTo("Name a colour."));
    }

    [Test]
    public async Task A_progress_display_of_ones_own_sees_every_step_until_the_end_of_the_run()
    {
        var display = new RecordingDisplay(available: true);
        var logger = new ListLogger();

        await Build("own", logger).RunAsync(new PipelineRunOptions { ProgressDisplay = display });

        Assert.That(display.Started, Is.EqualTo(1));
        Assert.That(display.Stopped, Is.EqualTo(1), "the handle is disposed when the steps stop");
        Assert.That(display.Run!.Pipeline, Is.EqualTo("own"));
        Assert.That(display.Run.TotalRows, Is.EqualTo(5), "the sources were counted for an ETA");
        var last = display.Run.Snapshot();
        Assert.That(last.Select(s => (s.Name, s.Read, s.Written, s.Done)),
            Is.EqualTo(new[] { ("load_data", 5L, 5L, true), ("keep_columns", 5L, 5L, true) }));
        Assert.That(logger.Entries.Select(e => e.Message), Has.None.Contains(" step load_data done:"), "the display replaced the log lines");
    }

    [Test]
    public async Task Under_auto_a_display_that_cannot_show_here_gives_way_to_log_lines()
    {
        var display = new RecordingDisplay(available: false);
        var logger = new ListLogger();

        await Build("auto", logger).RunAsync(new PipelineRunOptions { ProgressDisplay = display, ProgressInterval = TimeSpan.FromMilliseconds(50) });

        Assert.That(display.Started, Is.Zero);
        Assert.That(logger.Entries.Select(e => e.Message), Has.One.StartsWith("Pipeline 'auto' step load_data done: 5 rows in, 5 out"));
    }

    [Test]
    public void Live_progress_without_a_display_names_the_package_to_reference()
    {
        var error = Assert.ThrowsAsync<InvalidOperationException>(() => Build("live", new ListLogger()).RunAsync(new PipelineRunOptions { Progress = ProgressMode.Live }));

        Assert.That(error!.Message, Does.Contain("Distil.Console").And.Contain("ConsoleProgress.LiveTable()"));
        Assert.That(Directory.Exists(Path.Combine(_temp.Path, "live")), Is.False, "the run fails before it opens its store");
    }

    private Pipeline Build(string name, ListLogger logger)
    {
        var pipeline = Pipeline.Create(name);
        pipeline.RunDirectory = Path.Combine(_temp.Path, name);
        pipeline.Logger = logger;
        pipeline.Load(Enumerable.Range(0, 5).Select(i => new JsonObject { ["instruction"] = $"q{i}" })).KeepColumns("instruction");
        return pipeline;
    }

    private sealed class RecordingDisplay(bool available) : IPipelineProgress
    {
        private int _started;
        private int _stopped;

        public int Started => _started;

        public int Stopped => _stopped;

        public PipelineProgressRun? Run { get; private set; }

        public bool IsAvailable => available;

        public IAsyncDisposable Start(PipelineProgressRun run)
        {
            Interlocked.Increment(ref _started);
            Run = run;
            return new Handle(this);
        }

        private sealed class Handle(RecordingDisplay display) : IAsyncDisposable
        {
            public ValueTask DisposeAsync()
            {
                Interlocked.Increment(ref display._stopped);
                return ValueTask.CompletedTask;
            }
        }
    }
}
