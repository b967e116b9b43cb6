using System.Text.RegularExpressions;
using Distil.Testing;
using Distil.Tests.Providers;
using Distil.Tests.Support;
using NUnit.Framework;

namespace Distil.Tests.Tools;

/// <summary>
/// The tools sample as a real process, killed with SIGKILL mid-run: started again on the same run
/// directory, it runs no tool call that had finished (each call appends a line to a file, so a call
/// run twice would show) and asks the model for no turn it already had; a third run asks and calls nothing.
/// </summary>
public class ToolKillResumeTests : FakeServerTests
{
    private const int Rows = 12;

    private TempFolder _temp = null!;

    [SetUp]
    public void CreateWorkFolder() => _temp = new TempFolder("distil-tool-kill-");

    [TearDown]
    public void DeleteWorkFolder() => _temp.Dispose();

    private string ToolLog => Path.Combine(_temp.Path, "tool-calls.log");

    private string[] Arguments() =>
    [
        "--model", $"endpoint:{Server.BaseUrl}#fake-model", "--rows", $"{Rows}", "--concurrency", "1",
        "--run-dir", Path.Combine(_temp.Path, "run"), "--output", Path.Combine(_temp.Path, "trips.jsonl"), "--tool-log", ToolLog,
    ];

    // A model that looks up the weather and the distance (two calls in one turn), then answers; slowly, so that the kill lands mid-run.
    private static FakeReply Model(FakeRequest request)
    {
        if (request.ToolResults.Count > 0) return new FakeReply.Answer("Plan: " + string.Join(" ", request.ToolResults.Select(r => r.Content)));
        var city = City(request);
        return new FakeReply.ToolCalls([
            new FakeToolCall("w", "weather", $$"""{"city":"{{city}}"}"""),
            new FakeToolCall("d", "distance", $$"""{"from":"Paris","to":"{{city}}"}"""),
        ]);
    }

    private static string City(FakeRequest request) => Regex.Match(request.Prompt, @"from Paris to (.+)\.").Groups[1].Value;

    private string[] LoggedCalls() => File.Exists(ToolLog) ? File.ReadAllLines(ToolLog) : [];

    [Test]
    public async Task A_killed_run_resumes_without_running_a_finished_tool_call_or_asking_a_kept_turn_again()
    {
        Server.Reply = request => Model(request).After(TimeSpan.FromMilliseconds(100));

        using (var child = ChildProgram.ToolsSample.Start(Arguments()))
        {
            var waited = System.Diagnostics.Stopwatch.StartNew();
            while (LoggedCalls().Length < 6 && !child.HasExited && waited.Elapsed < TimeSpan.FromMinutes(2)) await Task.Delay(20);
            Assert.That(child.HasExited, Is.False, "the run ended before the kill: " + child.Error);
            // Past the journal's write of the last call; the next call is a 100 ms model turn away.
            await Task.Delay(40);
            await child.KillAsync();
        }
        var before = LoggedCalls();
        Assert.That(before.Length, Is.InRange(6, 2 * Rows - 2), "killed mid-run");
        var citiesBefore = before.Where(l => l.StartsWith("weather ", StringComparison.Ordinal)).Select(l => l["weather ".Length..]).ToHashSet();
        var resumedFrom = Server.RequestCount;

        var (exitCode, error) = await ChildProgram.ToolsSample.RunAsync(Arguments());

        Assert.That(exitCode, Is.Zero, error);
        var after = LoggedCalls();
        // Rule (docs/tools.md): a call that was running at the kill, or had finished but was not yet
        // journaled, may run again: at most the one turn in flight (its two calls, the last lines before
        // the kill at concurrency 1). Every call that had finished before that turn runs once.
        var inFlight = before.TakeLast(2).ToHashSet();
        var twice = after.GroupBy(l => l).Where(g => g.Count() > 1).Select(g => g.Key).ToList();
        Assert.That(twice, Is.SubsetOf(inFlight), "no finished tool call ran twice; only the turn in flight at the kill may");
        Assert.That(after.Distinct(), Has.Exactly(2 * Rows).Items, "every row's two calls ran");
        Assert.That(after.Length, Is.LessThanOrEqualTo(2 * Rows + 2));
        var resumed = Server.Requests.Where(r => r.Index >= resumedFrom).ToList();
        Assert.That(resumed.Where(r => r.ToolResults.Count == 0).Select(City), Has.None.AnyOf(citiesBefore.ToArray()),
            "a row whose tools had run was not asked for its first turn again");
        Assert.That(File.ReadAllLines(Path.Combine(_temp.Path, "trips.jsonl")), Has.Length.EqualTo(Rows));

        var (againExit, againError) = await ChildProgram.ToolsSample.RunAsync(Arguments());

        Assert.That(againExit, Is.Zero, againError);
        Assert.That(Server.RequestCount, Is.EqualTo(resumedFrom + resumed.Count), "a finished run directory asks the model nothing");
        Assert.That(LoggedCalls(), Is.EqualTo(after), "and calls no tool");
    }
}
