using System.Diagnostics;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Distil.Tests.Support;
using NUnit.Framework;

namespace Distil.Tests.Cli;

/// <summary>
/// <c>distil view</c> from the command line: the pipeline sample tells its user the command, the command serves that
/// run directory, and a wrong argument is a usage error that names it.
/// </summary>
[NonParallelizable]
public class ViewCommandTests
{
    private static readonly Regex ViewCommand = new(@"Review its rows .*: distil view (.+)$", RegexOptions.Compiled | RegexOptions.Multiline);
    private static readonly Regex ViewAddress = new(@"at (http://127\.0\.0\.1:\d+/)", RegexOptions.Compiled);

    private TempFolder _temp = null!;

    [SetUp]
    public void CreateFolder() => _temp = new TempFolder("distil-view-command-");

    [TearDown]
    public void DeleteFolder() => _temp.Dispose();

    [Test]
    public async Task The_pipeline_sample_prints_the_view_command_and_it_serves_the_sample_s_run()
    {
        var runDirectory = Path.Combine(_temp.Path, "run");
        using (var sample = ChildProgram.PipelineSample.Start("--rows", "12", "--run-dir", runDirectory, "--out", Path.Combine(_temp.Path, "answers.jsonl")))
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
            await sample.Process.WaitForExitAsync(timeout.Token);
            Assert.That(sample.Process.ExitCode, Is.Zero, sample.Error);
            Assert.That(sample.Output, Does.Contain($"Watch the run and review its rows: distil view {Path.GetFullPath(runDirectory)}"), "printed before the run, to watch it live");
            var printed = ViewCommand.Match(sample.Output);
            Assert.That(printed.Success, sample.Output);
            Assert.That(printed.Groups[1].Value.Trim(), Is.EqualTo(Path.GetFullPath(runDirectory)));
        }

        using var view = ChildProgram.Distil.Start("view", runDirectory, "--port", "0");
        var clock = Stopwatch.StartNew();
        Match address;
        while (!(address = ViewAddress.Match(view.Output)).Success)
        {
            Assert.That(view.HasExited, Is.False, view.Error);
            Assert.That(clock.Elapsed, Is.LessThan(TimeSpan.FromSeconds(60)), "the view printed its address");
            await Task.Delay(100);
        }
        using var http = new HttpClient { BaseAddress = new Uri(address.Groups[1].Value) };
        JsonNode? judge = null;
        while (clock.Elapsed < TimeSpan.FromSeconds(60))
        {
            var run = JsonNode.Parse(await http.GetStringAsync("api/run"))!;
            judge = run["steps"]!.AsArray().FirstOrDefault(s => (string?)s!["name"] == "judge");
            if ((long?)judge?["rows"] == 12) break;
            await Task.Delay(200);
        }
        Assert.That((long?)judge?["rows"], Is.EqualTo(12), "the judge step's rows, indexed");
        Assert.That((long?)judge!["calls"], Is.EqualTo(12));
        view.Signal(15);
        await view.Process.WaitForExitAsync();
        Assert.That(view.Process.ExitCode, Is.Zero, view.Error);
    }

    [Test]
    public async Task A_missing_directory_or_a_wrong_keep_is_a_usage_error_naming_it()
    {
        var missing = Path.Combine(_temp.Path, "nowhere");
        var (exitCode, error) = await ChildProgram.Distil.RunAsync("view", missing);
        Assert.That(exitCode, Is.EqualTo(2));
        Assert.That(error, Does.Contain($"distil view: the run directory '{missing}' does not exist."));

        (exitCode, error) = await ChildProgram.Distil.RunAsync("view", _temp.Path, "--export", Path.Combine(_temp.Path, "x.jsonl"), "--keep", "best");
        Assert.That(exitCode, Is.EqualTo(2));
        Assert.That(error, Does.Contain("--keep must be all, reviewed, accepted or not-rejected, not 'best'"));

        (exitCode, error) = await ChildProgram.Distil.RunAsync("view", _temp.Path, "--export", Path.Combine(_temp.Path, "x.jsonl"));
        Assert.That(exitCode, Is.EqualTo(2));
        Assert.That(error, Does.Contain("has no run store"));
    }
}
