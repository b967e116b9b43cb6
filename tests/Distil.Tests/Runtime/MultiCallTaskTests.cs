using System.Net;
using System.Text.Json.Nodes;
using Distil.Testing;
using Distil.Tests.Support;
using Distil.Tests.Tasks;
using Microsoft.Extensions.AI;
using NUnit.Framework;

namespace Distil.Tests.Runtime;

/// <summary>Tasks that override GenerateAsync: several dependent calls per generation, per-call options, checks of the client.</summary>
public class MultiCallTaskTests
{
    private static ScriptedChatClient Drafter() => new ScriptedChatClient()
        .When(r => r.UserText.StartsWith("Revise: ", StringComparison.Ordinal), r => ScriptedChatClient.Answer("better " + r.UserText[8..], 10, 3))
        .Otherwise(r => ScriptedChatClient.Answer("draft of " + r.UserText[17..], 5, 2));

    [Test]
    public async Task Each_call_sees_the_answer_before_it_and_the_row_keeps_the_last_prompt_and_answer()
    {
        var llm = Drafter();
        var task = new ChainTask { Llm = llm };

        var row = (await task.ProcessAsync([new JsonObject { ["question"] = "why?" }]).ToListAsync()).Single();

        Assert.That(row["draft"]!.GetValue<string>(), Is.EqualTo("draft of why?"));
        Assert.That(row["revision"]!.GetValue<string>(), Is.EqualTo("better draft of why?"));
        var metadata = row["distilabel_metadata"]!;
        Assert.That(metadata["raw_output_chain"]!.GetValue<string>(), Is.EqualTo("better draft of why?"));
        Assert.That(metadata["raw_input_chain"]![0]!["content"]!.GetValue<string>(), Is.EqualTo("Revise: draft of why?"));
        Assert.That(metadata["statistics_chain"]!.ToJsonString(), Is.EqualTo("{\"input_tokens\":15,\"output_tokens\":5}"), "usage of both calls");
        Assert.That(llm.Requests.Select(r => r.Options?.Temperature), Is.EqualTo(new float?[] { null, 0.25f }), "only the second call changed its options");
    }

    [Test]
    public async Task A_failed_call_in_the_middle_imputes_that_generation_and_the_run_goes_on()
    {
        var llm = new ScriptedChatClient()
            .When(r => r.UserText == "Revise: draft of b", ScriptedChatClient.ServerError)
            .When(r => r.UserText.StartsWith("Revise: ", StringComparison.Ordinal), r => ScriptedChatClient.Answer("better " + r.UserText[8..]))
            .Otherwise(r => "draft of " + r.UserText[17..]);
        var logger = new ListLogger();
        var task = new ChainTask { Llm = llm, Logger = logger };

        var rows = await task.ProcessAsync([new JsonObject { ["question"] = "a" }, new JsonObject { ["question"] = "b" }, new JsonObject { ["question"] = "c" }]).ToListAsync();

        Assert.That(rows.Select(r => r["revision"]?.GetValue<string>()), Is.EqualTo(new[] { "better draft of a", null, "better draft of c" }));
        Assert.That(rows[1]["distilabel_metadata"]!["error_chain"]!.GetValue<string>(), Does.Contain("HttpRequestException"));
        Assert.That(logger.Warnings, Has.Some.Contains("row 1, generation 0 failed"));
    }

    [Test]
    public void A_client_the_task_cannot_use_fails_before_any_call()
    {
        var llm = Drafter();
        var task = new ChainTask { Llm = llm, RefuseClientsWith = "needs a local model" };

        var error = Assert.ThrowsAsync<NotSupportedException>(async () => await task.ProcessAsync([new JsonObject { ["question"] = "a" }]).ToListAsync());

        Assert.That(error!.Message, Is.EqualTo("needs a local model"));
        Assert.That(llm.Requests, Is.Empty);
    }

    [Test]
    public async Task Random_choices_depend_on_seed_row_and_generation_only_not_on_timing()
    {
        async Task<int[]> Picks(TimeSpan delay, int concurrency)
        {
            var llm = Drafter();
            llm.Delay = delay;
            var task = new ChainTask { Llm = llm, NumGenerations = 2, MaxConcurrency = concurrency };
            var rows = await task.ProcessAsync(Enumerable.Range(0, 6).Select(i => new JsonObject { ["question"] = $"q{i}" })).ToListAsync();
            return rows.Select(r => r["pick"]!.GetValue<int>()).ToArray();
        }

        var sequential = await Picks(TimeSpan.Zero, 1);
        var parallel = await Picks(TimeSpan.FromMilliseconds(5), 8);

        Assert.That(parallel, Is.EqualTo(sequential));
        Assert.That(sequential.Distinct().Count(), Is.GreaterThan(6), "rows and generations get different streams");
    }

    [Test]
    public void MakesDependentCalls_is_false_for_single_call_tasks() =>
        Assert.That((new RatingTask().MakesDependentCalls, new ChainTask().MakesDependentCalls), Is.EqualTo((false, true)));
}
