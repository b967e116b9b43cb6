using System.Text.Json.Nodes;
using Distil.Pipelines;
using Distil.Tasks;
using Distil.Testing;
using Distil.Tests.Support;
using Microsoft.Extensions.AI;
using NUnit.Framework;

namespace Distil.Tests.Pipelines;

/// <summary>
/// Alarms on useless outputs in the library: a run counts unreadable, rule-breaking and cut-off
/// answers apart, <see cref="PipelineResult.Alarms"/> names the step, the likely cause and a sample
/// past the share, and <c>output_error_&lt;task&gt;</c> says why on every row whose outputs are null.
/// </summary>
public class AnswerAlarmTests
{
    private const string Good = "Rating: 4\nRationale: Accurate.";
    private const string BreaksRule = "Rating: 9\nRationale: Beyond the scale.";
    private const string CutOff = "Before I rate the text I will consider each";

    private TempFolder _temp = null!;

    [SetUp]
    public void CreateRunFolder() => _temp = new TempFolder("distil-alarm-");

    [TearDown]
    public void DeleteRunFolder() => _temp.Dispose();

    private static IEnumerable<JsonObject> Rows(int count) =>
        Enumerable.Range(0, count).Select(i => new JsonObject { ["instruction"] = $"question {i}?", ["generations"] = new JsonArray("an answer") });

    // Row i is answered by answer(i); a null answer fails the call.
    private async Task<(PipelineResult Result, List<JsonObject> Rows)> RunAsync(int count, Func<int, ChatResponse?> answer, double? share = null)
    {
        var llm = new ScriptedChatClient().Otherwise(request =>
        {
            var row = Enumerable.Range(0, count).Single(i => request.UserText.Contains($"question {i}?", StringComparison.Ordinal));
            return answer(row) ?? ScriptedChatClient.ServerError(request);
        });
        var pipeline = Pipeline.Create("judging");
        pipeline.RunDirectory = Path.Combine(_temp.Path, "run");
        pipeline.Load(Rows(count), "rows").Then(new UltraFeedback { Name = "judge", Llm = llm });
        var options = share is { } s
            ? new PipelineRunOptions { Progress = ProgressMode.None, UnreadableWarningShare = s }
            : new PipelineRunOptions { Progress = ProgressMode.None };
        var result = await pipeline.RunAsync(options);
        return (result, await result.Dataset.ToListAsync());
    }

    private static ChatResponse Answer(string text) => ScriptedChatClient.Answer(text, 10, 5);

    private static ChatResponse CutOffAnswer(string text) => new(new ChatMessage(ChatRole.Assistant, text)) { FinishReason = ChatFinishReason.Length };

    private static string? OutputError(JsonObject row) => (string?)row["distilabel_metadata"]!["output_error_judge"];

    [Test]
    public async Task Unreadable_rule_breaking_and_cut_off_answers_are_counted_apart_and_every_null_output_says_why()
    {
        // 0-3 fit, 4-5 break the 1-5 rule, 6-8 are cut off at the token limit, 9 fails.
        var (result, rows) = await RunAsync(10, i => i switch
        {
            < 4 => Answer(Good),
            < 6 => Answer(BreaksRule),
            < 9 => CutOffAnswer(CutOff),
            _ => null,
        });

        var judge = result.Tasks["judge"];
        Assert.That((judge.FitAnswers, judge.UnparsedAnswers, judge.RejectedAnswers, judge.CutOffAnswers, judge.FailedCalls), Is.EqualTo((4L, 3L, 2L, 3L, 1L)));
        Assert.That(judge.Answers, Is.EqualTo(9), "a failed call is no answer");
        Assert.That(judge.UnfitByCause[UnfitCause.CutOff], Is.EqualTo(3));
        Assert.That(judge.UnfitByCause[UnfitCause.RuleBroken], Is.EqualTo(2));
        Assert.That(judge.UnfitByCause[UnfitCause.FormatNotFollowed], Is.Zero);

        Assert.That(rows.Take(4).Select(OutputError), Has.All.Null, "a kept answer has no output error");
        Assert.That(rows.Skip(4).Take(2).Select(OutputError), Has.All.Contains("'ratings'"), "the broken rule");
        Assert.That(rows.Skip(6).Take(3).Select(OutputError), Has.All.EqualTo("unreadable: the answer hit the token limit (finish reason 'length') and was cut off"));
        Assert.That(OutputError(rows[9]), Is.EqualTo("the LLM call failed after its retries (see error_judge)"));

        var alarm = result.Alarms.Single();
        Assert.That((alarm.Step, alarm.Answers, alarm.Unfit, alarm.Cause, alarm.NoneReadable), Is.EqualTo(("judge", 9L, 5L, UnfitCause.CutOff, false)));
        Assert.That(alarm.Sample!.Text, Is.EqualTo(CutOff));
        Assert.That(alarm.Message, Does.StartWith("step 'judge': 5 of 9 answers (56%) gave no output. Likely cause: the answers hit the token limit"));
        Assert.That(alarm.Message, Does.EndWith($"Sample answer: \"{CutOff}\"."));
    }

    [Test]
    public async Task A_step_without_a_readable_answer_has_an_alarm_whatever_the_share_and_names_the_broken_rule()
    {
        var (result, _) = await RunAsync(3, _ => Answer(BreaksRule), share: 1.0);

        var alarm = result.Alarms.Single();
        Assert.That(alarm.NoneReadable);
        Assert.That(alarm.Cause, Is.EqualTo(UnfitCause.RuleBroken));
        Assert.That(alarm.Message, Does.Contain("no answer of 3 was readable. Likely cause: a declared rule broke: 'ratings'"));
        Assert.That(alarm.Message, Does.Contain("Sample answer: \"Rating: 9\\nRationale: Beyond the scale.\""), "one line");
    }

    [Test]
    public async Task A_share_of_unfit_answers_at_or_below_the_threshold_raises_no_alarm()
    {
        var (result, _) = await RunAsync(10, i => Answer(i == 0 ? BreaksRule : Good));

        Assert.That(result.Tasks["judge"].RejectedAnswers, Is.EqualTo(1));
        Assert.That(result.Alarms, Is.Empty, "one in ten is not past the default share of 0.1");
    }

    [Test]
    public void A_long_sample_is_cut_on_one_line_with_its_length()
    {
        var text = string.Concat(Enumerable.Repeat("word\n", 100));
        var statistics = new TaskStatistics(4, 0, 0, 0, UnparsedAnswers: 4) { UnfitSamples = [new UnfitAnswer(UnfitCause.FormatNotFollowed, text)] };

        var alarm = AnswerAlarm.For("judge", statistics, 0.1)!;

        Assert.That(alarm.Cause, Is.EqualTo(UnfitCause.FormatNotFollowed));
        Assert.That(alarm.Message, Does.Contain("did not follow the task's format"));
        Assert.That(alarm.Message, Does.Not.Contain("\n"));
        Assert.That(alarm.Message, Does.EndWith("…\" (500 characters)."));
    }

    [TestCase(-0.1)]
    [TestCase(1.5)]
    public void A_share_outside_0_to_1_is_refused(double share) =>
        Assert.That(() => new PipelineRunOptions { UnreadableWarningShare = share },
            Throws.TypeOf<ArgumentOutOfRangeException>().With.Message.Contains("UnreadableWarningShare"));
}
