using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Distil.Tasks;
using Distil.Testing;
using Distil.Tests.Support;
using NUnit.Framework;

namespace Distil.Tests.Catalogue;

/// <summary>evol_instruct, evol_complexity and evol_quality: rounds that build on each other, seeded mutations, stable columns.</summary>
public class EvolutionTaskTests
{
    // Answers each rewrite request with the instruction it was given plus "+", as a model that obeys would.
    private static ScriptedChatClient Evolver() => new ScriptedChatClient()
        .When(r => r.UserText.Contains("Instruction to rewrite:") || r.UserText.Contains("Instruction for inspiration:"),
            r => ScriptedChatClient.Answer("Rewritten instruction: " + Between(r.UserText, ":\n", "\n\nAnswer with") + "+", 7, 3))
        .When(r => r.UserText.Contains("Answer to improve:"),
            r => ScriptedChatClient.Answer(Between(r.UserText, "Answer to improve:\n", "\n\nAnswer with") + " (better)"))
        .Otherwise(r => "answer to " + r.UserText);

    private static string Between(string text, string start, string end)
    {
        var from = text.LastIndexOf(start, StringComparison.Ordinal) + start.Length;
        return text[from..text.IndexOf(end, from, StringComparison.Ordinal)];
    }

    private static JsonObject Row(string instruction) => new() { ["instruction"] = instruction };

    [Test]
    public async Task Each_round_rewrites_the_answer_of_the_round_before()
    {
        var llm = Evolver();
        var task = new EvolInstruct { Llm = llm, NumEvolutions = 3 };

        var row = (await task.ProcessAsync([Row("Sort a list.")]).ToListAsync()).Single();

        Assert.That(row["evolved_instruction"]!.GetValue<string>(), Is.EqualTo("Sort a list.+++"));
        Assert.That(llm.Requests.Select(r => Between(r.UserText, ":\n", "\n\nAnswer with")), Is.EqualTo(new[] { "Sort a list.", "Sort a list.+", "Sort a list.++" }));
        Assert.That(row["distilabel_metadata"]!["statistics_evol_instruct"]!["input_tokens"]!.GetValue<long>(), Is.EqualTo(21), "usage of all three rounds");
    }

    [Test]
    public async Task Columns_not_asked_for_are_null_so_every_row_has_the_same_columns()
    {
        var row = (await new EvolInstruct { Llm = Evolver() }.ProcessAsync([Row("Sort a list.")]).ToListAsync()).Single();

        Assert.That(new EvolInstruct().Outputs, Is.EqualTo(new[] { "evolved_instruction", "evolved_instructions", "answer", "answers" }));
        Assert.That(row.ContainsKey("evolved_instructions") && row["evolved_instructions"] is null);
        Assert.That(row.ContainsKey("answer") && row["answer"] is null);
    }

    [Test]
    public async Task Stored_evolutions_with_the_original_first_and_an_answer_to_each()
    {
        var llm = Evolver();
        var task = new EvolInstruct { Llm = llm, NumEvolutions = 2, StoreEvolutions = true, IncludeOriginalInstruction = true, GenerateAnswers = true };

        var row = (await task.ProcessAsync([Row("Sort a list.")]).ToListAsync()).Single();

        Assert.That(row["evolved_instructions"]!.AsArray().Select(n => n!.GetValue<string>()), Is.EqualTo(new[] { "Sort a list.", "Sort a list.+", "Sort a list.++" }));
        Assert.That(row["answers"]!.AsArray().Select(n => n!.GetValue<string>()),
            Is.EqualTo(new[] { "answer to Sort a list.", "answer to Sort a list.+", "answer to Sort a list.++" }));
        Assert.That(row["answer"]!.GetValue<string>(), Is.EqualTo("answer to Sort a list.++"));
        Assert.That(llm.Requests, Has.Count.EqualTo(5));
    }

    [Test]
    public async Task The_seed_fixes_the_mutations_and_another_seed_changes_them()
    {
        async Task<string[]> Mutations(int seed)
        {
            var llm = Evolver();
            await new EvolInstruct { Llm = llm, Seed = seed, MaxConcurrency = 4 }.ProcessAsync(Enumerable.Range(0, 12).Select(i => Row($"task {i}"))).ToListAsync();
            // Each row's prompt with the row's own text masked: what is left is the mutation.
            return llm.Requests
                .OrderBy(r => int.Parse(Regex.Match(r.UserText, @"task (\d+)").Groups[1].Value))
                .Select(r => Regex.Replace(r.UserText, @"task \d+", "X"))
                .ToArray();
        }

        var first = await Mutations(1);
        Assert.That(await Mutations(1), Is.EqualTo(first));
        Assert.That(await Mutations(2), Is.Not.EqualTo(first));
        Assert.That(first.Distinct().Count(), Is.GreaterThan(1), "rows get different mutations");
    }

    [Test]
    public async Task Evol_complexity_never_changes_the_topic()
    {
        var llm = Evolver();

        await new EvolComplexity { Llm = llm, NumEvolutions = 2 }.ProcessAsync(Enumerable.Range(0, 20).Select(i => Row($"task {i}"))).ToListAsync();

        Assert.That(llm.Requests.Select(r => r.UserText), Has.None.Contains("brand-new"));
        Assert.That(EvolutionPrompts.Complexity.Keys, Is.EquivalentTo(new[] { "CONSTRAINTS", "DEEPENING", "CONCRETIZING", "INCREASED_REASONING_STEPS" }));
        Assert.That(EvolutionPrompts.Instruct.Keys, Does.Contain("BREADTH"));
    }

    [Test]
    public async Task An_empty_round_leaves_the_row_unparsed_with_the_raw_answer_kept()
    {
        var llm = new ScriptedChatClient().OnCall(1, _ => ScriptedChatClient.Answer("  ")).Otherwise(_ => "A harder task.");
        var task = new EvolInstruct { Llm = llm, NumEvolutions = 3 };

        var row = (await task.ProcessAsync([Row("Sort a list.")]).ToListAsync()).Single();

        Assert.That(row["evolved_instruction"], Is.Null);
        Assert.That(row["distilabel_metadata"]!["raw_output_evol_instruct"]!.GetValue<string>(), Is.EqualTo("  "));
        Assert.That(llm.Requests, Has.Count.EqualTo(2), "no round after the empty one");
    }

    [Test]
    public void Custom_mutations_must_hold_the_placeholders()
    {
        Assert.That(() => new EvolInstruct { Mutations = new Dictionary<string, string> { ["SHORTER"] = "Make it shorter." } },
            Throws.ArgumentException.With.Message.Contains("mutation 'SHORTER' must contain the placeholder <PROMPT>"));
        Assert.That(() => new EvolQuality { Mutations = new Dictionary<string, string> { ["TERSE"] = "Shorten <PROMPT>" } },
            Throws.ArgumentException.With.Message.Contains("mutation 'TERSE' must contain the placeholder <RESPONSE>"));
        Assert.That(() => new EvolInstruct { Mutations = new Dictionary<string, string>() }, Throws.ArgumentException.With.Message.Contains("at least one mutation"));
    }

    [Test]
    public async Task Custom_mutations_are_the_only_ones_used()
    {
        var llm = new ScriptedChatClient().Otherwise(_ => "Shorter.");
        var task = new EvolInstruct { Llm = llm, Mutations = new Dictionary<string, string> { ["SHORTER"] = "Shorten this: <PROMPT>" } };

        await task.ProcessAsync([Row("Write a long essay.")]).ToListAsync();

        Assert.That(llm.Requests.Single().UserText, Is.EqualTo("Shorten this: Write a long essay."));
    }

    [Test]
    public void Structured_output_is_refused_before_any_call()
    {
        var llm = Evolver();
        var task = new EvolQuality { Llm = llm, UseDefaultStructuredOutput = true };

        Assert.That(async () => await task.ProcessAsync([new JsonObject { ["instruction"] = "a", ["response"] = "b" }]).ToListAsync(),
            Throws.TypeOf<NotSupportedException>().With.Message.Contains("evol_quality").And.Message.Contains("no structured-output mode"));
        Assert.That(llm.Requests, Is.Empty);
    }

    [Test]
    public async Task Evol_quality_improves_the_response_over_rounds()
    {
        var llm = Evolver();
        var task = new EvolQuality { Llm = llm, NumEvolutions = 2, StoreEvolutions = true, IncludeOriginalResponse = true };

        var row = (await task.ProcessAsync([new JsonObject { ["instruction"] = "Name a colour.", ["response"] = "Red." }]).ToListAsync()).Single();

        Assert.That(row["evolved_response"]!.GetValue<string>(), Is.EqualTo("Red. (better) (better)"));
        Assert.That(row["evolved_responses"]!.AsArray().Select(n => n!.GetValue<string>()), Is.EqualTo(new[] { "Red.", "Red. (better)", "Red. (better) (better)" }));
        Assert.That(llm.Requests.Select(r => r.UserText), Has.All.Contains("Instruction:\nName a colour."));
    }

    [Test]
    public void Evolution_tasks_make_dependent_calls() =>
        Assert.That(new LlmTask[] { new EvolInstruct(), new EvolComplexity(), new EvolQuality() }.Select(t => t.MakesDependentCalls), Has.All.True);
}
