using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Distil.Testing;
using Distil.Tests.Providers;
using Distil.Tests.Support;
using NUnit.Framework;

namespace Distil.Tests.Cli;

/// <summary>
/// Adaptive concurrency through the real <c>distil</c> process, against a stand-in deployment
/// that serves at most 24 calls at once and refuses the rest with 429, no <c>Retry-After</c> (issue 33).
/// </summary>
[NonParallelizable]
public partial class AdaptiveConcurrencyCliTests : FakeServerTests
{
    private const int Rows = 480;
    private const int Capacity = 24;

    private TempFolder _temp = null!;

    [SetUp]
    public void CreateWorkFolder()
    {
        _temp = new TempFolder("distil-adaptive-");
        Server.Reply = FakeReplies.Answering(r => $"answer {r.Index}").WithLatency(TimeSpan.FromMilliseconds(100));
        Server.MaxConcurrent = Capacity;
        Server.KeepRequestLog = true;
    }

    [TearDown]
    public void DeleteWorkFolder() => _temp.Dispose();

    private async Task<(double Seconds, string Printed)> RunAsync(string name, params string[] extra)
    {
        var input = Path.Combine(_temp.Path, "questions.jsonl");
        if (!File.Exists(input)) File.WriteAllLines(input, Enumerable.Range(0, Rows).Select(i => new JsonObject { ["instruction"] = $"Question {i}?" }.ToJsonString()));
        string[] arguments = ["run", "--task", "text_generation", "--input", input, "--output", Path.Combine(_temp.Path, name + ".jsonl"),
            "--run-dir", Path.Combine(_temp.Path, name), "--model", $"endpoint:{Server.BaseUrl}#fake-model", .. extra];
        using var child = ChildProgram.Distil.Start(arguments);
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        await child.Process.WaitForExitAsync(timeout.Token);
        var printed = child.Output + child.Error;
        Assert.That(child.Process.ExitCode, Is.Zero, printed);
        // The run's own time, from the summary: the process's start-up is not the limiter's doing.
        var done = DoneIn().Match(printed);
        Assert.That(done.Success, Is.True, printed);
        return (double.Parse(done.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture), printed);
    }

    [GeneratedRegex(@"Done in ([0-9.]+) s\.")]
    private static partial Regex DoneIn();

    private void AssertEveryRowAnsweredOnce(string run)
    {
        var asked = Server.Requests.Select(r => Regex.Match(r.Prompt, @"Question (\d+)\?").Groups[1].Value).ToList();
        Assert.That(asked, Has.Count.EqualTo(Rows), $"{run}: one answered call per row");
        Assert.That(asked.Distinct().Count(), Is.EqualTo(Rows), $"{run}: every row answered, none twice");
    }

    [Test]
    public async Task A_run_allowed_200_finds_a_deployment_of_24_and_is_about_as_fast_as_a_run_told_24()
    {
        var told = await RunAsync("told-24", "--concurrency", "24", "--fixed-concurrency");
        AssertEveryRowAnsweredOnce("told 24");
        Assert.That(Server.RefusedCount, Is.Zero, "a run told the capacity is never refused");

        Server.ResetStatistics();
        var allowed = await RunAsync("allowed-200", "--concurrency", "200");
        AssertEveryRowAnsweredOnce("allowed 200");
        var refused = Server.RefusedCount;
        var sent = Server.RequestCount + refused;

        TestContext.Out.WriteLine($"told 24: {told.Seconds:0.00} s; allowed 200: {allowed.Seconds:0.00} s, {refused} of {sent} requests refused");
        Assert.That(allowed.Seconds, Is.LessThanOrEqualTo(1.15 * told.Seconds), "within 15% of the wall time of a run told the capacity");
        Assert.That(refused, Is.LessThanOrEqualTo(0.10 * sent), "at most a tenth of the requests refused");
        Assert.That(Server.PeakInFlight, Is.LessThanOrEqualTo(Capacity), "the stand-in served at most its capacity");
        // The summary says where the limit ended and how many refusals moved it.
        Assert.That(allowed.Printed, Does.Match(@"model fake-model: concurrency limit \d+ \(from 8, highest \d+, ceiling 200\), [\d,]+ refusals?"));
    }
}
