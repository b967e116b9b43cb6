using Distil.Testing;
using Distil.Tests.Catalogue;
using Distil.Tests.Tasks;
using NUnit.Framework;

namespace Distil.Tests.Runtime;

/// <summary>
/// <c>task.RunAsync(inputs)</c>: typed inputs in, typed results out, in input order, with the
/// semantics of <c>ProcessAsync</c> (concurrency, failed calls and unreadable answers as null outputs).
/// </summary>
public class TypedResultTests
{
    private static SummaryTask.Input Book(string title) => new(title, 20, ["a"]);

    [Test]
    public async Task Results_come_back_typed_and_in_input_order_while_calls_overlap()
    {
        // Earlier inputs answer later: the order of results must still be the order of inputs.
        var llm = new ScriptedChatClient(r => ScriptedChatClient.Answer($$"""{"summary": "about {{r.UserText.Split(' ')[1]}}", "word_count": 2}""", 11, 3))
        {
            Latency = r => TimeSpan.FromMilliseconds(r.UserText.Contains("b0") ? 120 : 10),
        };
        var task = new SummaryTask { Llm = llm, MaxConcurrency = 8 };
        var titles = Enumerable.Range(0, 40).Select(i => "b" + i).ToList();

        var results = await task.RunAsync(titles.Select(Book)).ToListAsync();

        Assert.That(results.Select(r => r.Input.Title), Is.EqualTo(titles));
        Assert.That(results.Select(r => r.RowIndex), Is.EqualTo(Enumerable.Range(0, 40).Select(i => (long)i)));
        Assert.That(results.Select(r => r.Output!.Summary), Is.EqualTo(titles.Select(t => "about " + t)));
        var first = results[0].Generations.Single();
        Assert.That((first.Text, first.ModelId, first.Usage!.InputTokenCount, first.Usage.OutputTokenCount, first.Error),
            Is.EqualTo(("""{"summary": "about b0", "word_count": 2}""", "scripted-model", 11L, 3L, (Exception?)null)));
        Assert.That(first.Messages.Last().Text, Does.StartWith("Summarise b0 in 20 words"));
        Assert.That(llm.MeanInFlight, Is.GreaterThan(2), "calls overlap up to MaxConcurrency, as in ProcessAsync");
    }

    [Test]
    public async Task Each_generation_is_its_own_result_entry()
    {
        var llm = new ScriptedChatClient(r => ScriptedChatClient.Answer($$"""{"summary": "take {{r.CallNumber}}", "word_count": 1}"""));
        var task = new SummaryTask { Llm = llm, NumGenerations = 3 };

        var result = (await task.RunAsync([Book("Dune")]).ToListAsync()).Single();

        Assert.That(result.Generations.Select(g => g.Output!.Summary), Is.EquivalentTo(new[] { "take 0", "take 1", "take 2" }));
        Assert.That(result.Output, Is.SameAs(result.Generations[0].Output));
    }

    [Test]
    public async Task A_failed_call_an_unreadable_answer_and_a_broken_rule_give_null_outputs_with_their_reason()
    {
        var llm = new ScriptedChatClient()
            .When(r => r.UserText.Contains("fails"), ScriptedChatClient.ServerError)
            .Otherwise(r => r.UserText.Contains("garbled") ? "not json at all" : """{"rating": 9, "weights": [0.5, 0.5], "verdict": "yes", "code": "ABC-1"}""");
        var task = new AnnotatedTask { Llm = llm };

        var results = await task.RunAsync([new AnnotatedTask.Input("fails"), new AnnotatedTask.Input("garbled"), new AnnotatedTask.Input("out of range")]).ToListAsync();

        var (failed, garbled, rejected) = (results[0].Generations[0], results[1].Generations[0], results[2].Generations[0]);
        Assert.That(results.Select(r => r.Output), Has.All.Null);
        Assert.That(failed.Failed, Is.True);
        Assert.That(failed.Error, Is.Not.Null);
        Assert.That((garbled.Text, garbled.Error, garbled.Rejection), Is.EqualTo(("not json at all", (Exception?)null, (string?)null)));
        Assert.That(rejected.Rejection, Is.EqualTo("'rating' holds 9, outside 1 to 5"));
    }

    [Test]
    public async Task Async_inputs_are_read_as_slots_free_up()
    {
        var llm = new ScriptedChatClient(_ => ScriptedChatClient.Answer("""{"summary": "s", "word_count": 1}"""));
        var task = new SummaryTask { Llm = llm, MaxConcurrency = 2 };
        var read = 0;

        async IAsyncEnumerable<SummaryTask.Input> Inputs()
        {
            for (var i = 0; i < 1000; i++)
            {
                Interlocked.Increment(ref read);
                yield return Book("t" + i);
                await Task.Yield();
            }
        }

        var taken = await task.RunAsync(Inputs()).Take(3).ToListAsync();

        Assert.That(taken.Select(r => r.Input.Title), Is.EqualTo(new[] { "t0", "t1", "t2" }));
        Assert.That(read, Is.LessThan(1000), "inputs are pulled as the run needs them, not all at once");
    }

    [Test]
    public void A_task_without_an_LLM_says_so()
    {
        var task = new SummaryTask();

        var error = Assert.ThrowsAsync<InvalidOperationException>(async () => await task.RunAsync([Book("Dune")]).ToListAsync());

        Assert.That(error!.Message, Does.Contain("has no LLM").And.Contain("before running"));
    }
}
