using System.Diagnostics;
using System.Text.Json.Nodes;
using Distil.Pipelines;
using Distil.Tasks;
using Distil.Testing;
using Distil.Tests.Providers;
using Distil.Tests.Support;
using NUnit.Framework;

namespace Distil.Tests.Pipelines;

/// <summary>
/// The run directory on a real small filesystem (tmpfs) that fills up mid-run: the run stops
/// calling the LLM, keeps its finished answers in memory, says what is wrong, and once space is
/// freed goes on with nothing lost and nothing asked twice.
/// </summary>
[NonParallelizable]
public class StoreFailureTests : FakeServerTests
{
    // Room for a whole run once the filler is gone: 2,000 answers in the run store and in answers.db, with their WAL files.
    private const long FilesystemBytes = 32 * 1024 * 1024;
    private TempFolder _temp = null!;

    [SetUp]
    public void MountSmallFilesystem()
    {
        if (!OperatingSystem.IsLinux()) Assert.Ignore("A small tmpfs needs Linux.");
        _temp = new TempFolder("distil-full-");
        var (code, error) = Run("mount", "-t", "tmpfs", "-o", $"size={FilesystemBytes}", "tmpfs", _temp.Path);
        if (code != 0)
        {
            _temp.Dispose();
            Prerequisite.Missing($"Cannot mount a small tmpfs here (mount needs root): {error.Trim()}.");
        }
    }

    [TearDown]
    public void Unmount()
    {
        if (_temp is null || !Directory.Exists(_temp.Path)) return;
        Run("umount", "-l", _temp.Path);
        _temp.Dispose();
    }

    [Test]
    public async Task A_full_disk_holds_new_calls_keeps_finished_answers_and_the_run_goes_on_once_space_is_freed()
    {
        const int rows = 2000;
        // Answers of about 1 KB: 2,000 rows need more than the space left below.
        Server.Reply = FakeReplies.Answering(r => r.LastMessage + " " + new string('x', 1000)).WithLatency(TimeSpan.FromMilliseconds(5));
        var filler = Path.Combine(_temp.Path, "filler");
        await using (var file = File.Create(filler))
        {
            file.SetLength(FilesystemBytes - 600 * 1024);
            // tmpfs allocates on write: write the whole length so the space is really taken.
            var block = new byte[1 << 20];
            for (long written = 0; written < file.Length; written += block.Length) await file.WriteAsync(block.AsMemory(0, (int)Math.Min(block.Length, file.Length - written)));
        }

        var logger = new ListLogger();
        var pipeline = Pipeline.Create("full-disk");
        pipeline.Logger = logger;
        pipeline.RunDirectory = Path.Combine(_temp.Path, "run");
        pipeline.Load(Enumerable.Range(0, rows).Select(i => new JsonObject { ["id"] = i, ["instruction"] = $"question {i}" }))
            .Then(new TextGeneration { Llm = FakeServerClients.OpenAI(Server), MaxConcurrency = 8 });
        var run = pipeline.RunAsync(new PipelineRunOptions { Progress = ProgressMode.None });

        var clock = Stopwatch.StartNew();
        while (!logger.Warnings.Any(w => w.Contains("cannot be written", StringComparison.Ordinal)))
        {
            if (run.IsCompleted) Assert.Fail("The run ended before the disk filled: " + (run.IsFaulted ? run.Exception!.InnerException!.Message : "finished"));
            Assert.That(clock.Elapsed, Is.LessThan(TimeSpan.FromSeconds(60)), "the disk never filled");
            await Task.Delay(20);
        }
        var warning = logger.Warnings.First(w => w.Contains("cannot be written", StringComparison.Ordinal));
        Assert.That(warning, Does.Contain("No new LLM calls are sent").And.Contain("finished rows wait in memory").And.Contain("Ctrl+C"));
        await Task.Delay(300); // calls already on their way finish
        var askedWhileFull = Server.RequestCount;
        await Task.Delay(1500);
        Assert.That(Server.RequestCount, Is.EqualTo(askedWhileFull), "no new call while the store cannot be written");
        Assert.That(askedWhileFull, Is.LessThan(rows), "the disk filled mid-run");

        File.Delete(filler);
        var result = await run.WaitAsync(TimeSpan.FromMinutes(2));

        Assert.That(result.Completed);
        var ids = (await result.Dataset.ToListAsync()).Select(r => (int)r["id"]!).ToList();
        Assert.That(ids, Is.EqualTo(Enumerable.Range(0, rows)), "every row, once, in order");
        Assert.That(Server.RequestCount, Is.EqualTo(rows), "no answer was lost and asked for again");
        Assert.That(logger.Entries.Select(e => e.Message), Has.Some.Contains("can be written again"));
    }

    private static (int Code, string Error) Run(string program, params string[] arguments)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        try
        {
            using var process = Process.Start(start)!;
            var error = process.StandardError.ReadToEnd();
            process.WaitForExit();
            return (process.ExitCode, error);
        }
        catch (System.ComponentModel.Win32Exception error)
        {
            return (-1, error.Message);
        }
    }
}
