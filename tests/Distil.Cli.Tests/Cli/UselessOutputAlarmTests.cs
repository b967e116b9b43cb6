using System.Text.Json.Nodes;
using Distil.Testing;
using Distil.Tests.Providers;
using Distil.Tests.Support;
using NUnit.Framework;

namespace Distil.Tests.Cli;

/// <summary>
/// Alarms on useless outputs, through the real <c>distil</c> process: a judge whose answers are cut
/// off at the token limit or break the 1-5 rule warns (naming the step, a sample and the cause),
/// says why each row's outputs are null, and exits 1 when no answer was readable; a run that is
/// mostly fine stays quiet below the share and exits 0.
/// </summary>
public class UselessOutputAlarmTests : FakeServerTests
{
    private const int Rows = 10;
    private const string CutOffAnswer = "Let me weigh the text carefully before I rate it. First, the text says that the sky is blue because";
    private const string RuleBreakingAnswer = "Rating: 9\nRationale: Better than perfect.";
    private const string GoodAnswer = "Rating: 4\nRationale: Accurate and helpful.";

    private TempFolder _temp = null!;

    [SetUp]
    public void CreateWorkFolder() => _temp = new TempFolder("distil-alarm-");

    [TearDown]
    public void DeleteWorkFolder() => _temp.Dispose();

    private string Output => Path.Combine(_temp.Path, "judged.jsonl");

    // A pipeline file with a step named 'judge' running ultrafeedback (text mode: "Rating: N").
    private string[] Run(params string[] extra)
    {
        File.WriteAllLines(Path.Combine(_temp.Path, "answers.jsonl"), Enumerable.Range(0, Rows).Select(i =>
            new JsonObject { ["instruction"] = $"Question {i}?", ["generations"] = new JsonArray("Because of Rayleigh scattering.") }.ToJsonString()));
        var pipeline = Path.Combine(_temp.Path, "judge.json");
        File.WriteAllText(pipeline, """
            { "name": "judging", "steps": [
              { "name": "rows", "load": "answers.jsonl" },
              { "name": "judge", "task": "ultrafeedback", "after": "rows" },
              { "name": "out", "write": "judged.jsonl", "after": "judge" } ] }
            """);
        return ["run", "--pipeline", pipeline, "--run-dir", Path.Combine(_temp.Path, "run"), "--model", $"endpoint:{Server.BaseUrl}#fake-model", .. extra];
    }

    private static int RowOf(FakeRequest request) => Enumerable.Range(0, Rows).Single(i => request.Prompt.Contains($"Question {i}?"));

    private static async Task<(int ExitCode, string Printed)> RunDistilAsync(string[] arguments)
    {
        using var child = ChildProgram.Distil.Start(arguments);
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        await child.Process.WaitForExitAsync(timeout.Token);
        return (child.Process.ExitCode, child.Output + child.Error);
    }

    private List<JsonObject> OutputRows() => File.ReadAllLines(Output).Select(line => JsonNode.Parse(line)!.AsObject()).ToList();

    private static string? OutputError(JsonObject row) =>
        row["distilabel_metadata"]!.AsObject().Where(p => p.Key.StartsWith("output_error_", StringComparison.Ordinal)).Select(p => (string?)p.Value).SingleOrDefault();

    [Test]
    public async Task A_judge_with_no_readable_answer_warns_with_step_sample_and_cause_and_exits_1_keeping_its_rows()
    {
        // Seven answers hit the token limit before any rating; three rate 9 on a 1-5 scale.
        Server.Reply = request => RowOf(request) < 7 ? FakeReply.CutOff(CutOffAnswer) : new FakeReply.Answer(RuleBreakingAnswer);

        var (exitCode, printed) = await RunDistilAsync(Run());

        Assert.That(exitCode, Is.EqualTo(1), printed);
        Assert.That(printed, Does.Contain($"judge: {Rows} calls this run, 0 failed, 7 answers unreadable, 3 broke a rule (7 cut off at the token limit), "));
        Assert.That(printed, Does.Contain($"warning: step 'judge': no answer of {Rows} was readable. Likely cause: the answers hit the token limit (finish reason 'length')"));
        Assert.That(printed, Does.Contain($"Sample answer: \"{CutOffAnswer}\""), "one sample answer, of the likely cause");
        Assert.That(printed.Split('\n').Count(l => l.Contains("gave no readable answer")), Is.EqualTo(1), printed);
        Assert.That(printed, Does.Contain("distil run: step 'judge' gave no readable answer"));

        // Nothing paid for is lost: every row is written, and says why its outputs are null.
        var rows = OutputRows();
        Assert.That(rows, Has.Count.EqualTo(Rows));
        for (var i = 0; i < Rows; i++)
        {
            Assert.That(rows[i]["ratings"]!.ToJsonString(), Is.EqualTo("[null]"), $"row {i}");
            var why = OutputError(rows[i]);
            if (i < 7) Assert.That(why, Is.EqualTo("unreadable: the answer hit the token limit (finish reason 'length') and was cut off"), $"row {i}");
            else Assert.That(why, Does.Contain("'ratings'").And.Contain("5"), $"row {i}: the broken rule is named");
        }
    }

    [Test]
    public async Task A_judge_whose_answers_mostly_break_a_rule_warns_naming_the_rule_and_exits_0_while_some_are_readable()
    {
        Server.Reply = request => RowOf(request) < 8 ? new FakeReply.Answer(RuleBreakingAnswer) : new FakeReply.Answer(GoodAnswer);

        var (exitCode, printed) = await RunDistilAsync(Run());

        Assert.That(exitCode, Is.Zero, printed);
        Assert.That(printed, Does.Contain("warning: step 'judge': 8 of 10 answers (80%) gave no output. Likely cause: a declared rule broke: 'ratings'"));
        Assert.That(printed, Does.Contain("Sample answer: \"Rating: 9\\nRationale: Better than perfect.\""), "the sample on one line");
        Assert.That(printed, Does.Not.Contain("gave no readable answer"));
    }

    [Test]
    public async Task A_mostly_fine_judge_below_the_share_stays_quiet_and_exits_0_and_a_lower_share_warns()
    {
        // One answer in ten breaks the rule: not past the default share of 0.1.
        Server.Reply = request => RowOf(request) == 3 ? new FakeReply.Answer(RuleBreakingAnswer) : new FakeReply.Answer(GoodAnswer);

        var (exitCode, printed) = await RunDistilAsync(Run());

        Assert.That(exitCode, Is.Zero, printed);
        Assert.That(printed, Does.Contain($"judge: {Rows} calls this run, 0 failed, 0 answers unreadable, 1 broke a rule, "));
        Assert.That(printed, Does.Not.Contain("warning:"));
        Assert.That(OutputError(OutputRows()[3]), Does.Contain("'ratings'"), "the one broken row still says why");

        // The share is the user's: below one in ten, the same answers warn (from the stored rows,
        // nothing is asked again, so a fresh run directory).
        Directory.Delete(Path.Combine(_temp.Path, "run"), recursive: true);
        var (lowerExit, lowerPrinted) = await RunDistilAsync(Run("--warn-unreadable", "0.05"));

        Assert.That(lowerExit, Is.Zero, lowerPrinted);
        Assert.That(lowerPrinted, Does.Contain("warning: step 'judge': 1 of 10 answers (10%) gave no output."));
    }

    [Test]
    public async Task A_share_outside_0_to_1_is_refused()
    {
        var (exitCode, printed) = await RunDistilAsync(Run("--warn-unreadable", "10"));

        Assert.That(exitCode, Is.EqualTo(2), printed);
        Assert.That(printed, Does.Contain("--warn-unreadable is a share of the answers from 0 to 1"));
        Assert.That(Server.RequestCount, Is.Zero);
    }
}
