using System.Text.Json.Nodes;
using Distil.LlamaSharp;
using Distil.Tasks;
using Distil.Testing;
using Distil.Tests.Support;
using Microsoft.Extensions.AI;
using NUnit.Framework;

namespace Distil.Tests.Catalogue;

/// <summary>magpie: the model writes the user turns from a pre-query template, then answers them.</summary>
public class MagpieTests
{
    /// <summary>A scripted model that says it continues raw chat templates, as local models do.</summary>
    private sealed class PreQueryModel(IChatClient inner) : DelegatingChatClient(inner), ISupportsPreQueryTemplate;

    private static bool IsPreQuery(ScriptedRequest request) =>
        request.Options?.AdditionalProperties?.ContainsKey(ChatOptionsKeys.PreQueryTemplate) == true;

    [Test]
    public async Task Turns_alternate_between_a_made_up_user_turn_and_an_answer()
    {
        var script = new ScriptedChatClient()
            .When(IsPreQuery, r => ScriptedChatClient.Answer($" Question {r.Messages.Count(m => m.Role == ChatRole.User) + 1}? "))
            .Otherwise(r => $"Answer to {r.UserText}");
        var task = new Magpie { Llm = new PreQueryModel(script), NumTurns = 2, PreQueryTemplate = "qwen2", SystemPrompt = "You are a chemist." };

        var row = (await task.ProcessAsync([new JsonObject()]).ToListAsync()).Single();

        Assert.That(row["instruction"]!.GetValue<string>(), Is.EqualTo("Question 1?"));
        Assert.That(row["response"]!.GetValue<string>(), Is.EqualTo("Answer to Question 1?"));
        Assert.That(row["conversation"]!.AsArray().Select(t => $"{t!["role"]}: {t["content"]}"), Is.EqualTo(new[]
        {
            "system: You are a chemist.", "user: Question 1?", "assistant: Answer to Question 1?", "user: Question 2?", "assistant: Answer to Question 2?",
        }));
        var preQueries = script.Requests.Where(IsPreQuery).ToList();
        Assert.That(preQueries, Has.Count.EqualTo(2));
        Assert.That(preQueries.Select(r => r.Options!.AdditionalProperties![ChatOptionsKeys.PreQueryTemplate]), Has.All.EqualTo("<|im_start|>user\n"));
        Assert.That(preQueries[1].Messages.Select(m => m.Role), Is.EqualTo(new[] { ChatRole.System, ChatRole.User, ChatRole.Assistant }));
    }

    [Test]
    public async Task The_rows_system_prompt_wins_and_only_instruction_stops_after_the_user_turn()
    {
        var script = new ScriptedChatClient().Otherwise(_ => "Why is the sky blue?");
        var task = new Magpie { Llm = new PreQueryModel(script), OnlyInstruction = true, SystemPrompt = "task default" };

        var row = (await task.ProcessAsync([new JsonObject { ["system_prompt"] = "You teach physics." }]).ToListAsync()).Single();

        Assert.That(script.Requests.Single().Messages.Single().Text, Is.EqualTo("You teach physics."));
        Assert.That(row["instruction"]!.GetValue<string>(), Is.EqualTo("Why is the sky blue?"));
        Assert.That(row["response"], Is.Null);
    }

    [Test]
    public void A_client_that_cannot_continue_a_template_is_refused_before_any_call()
    {
        var script = new ScriptedChatClient().Otherwise(_ => "hi");
        var task = new Magpie { Llm = script };

        Assert.That(async () => await task.ProcessAsync([new JsonObject()]).ToListAsync(),
            Throws.TypeOf<NotSupportedException>().With.Message.Contains("local GGUF model").And.Message.Contains("ScriptedChatClient"));
        Assert.That(script.Requests, Is.Empty);
    }

    [Test]
    public async Task Runs_on_the_tiny_local_model_through_its_chat_template()
    {
        using var llm = LocalChatClient.Load(TestModel.Path, contextSize: 512);
        var task = new Magpie
        {
            Llm = llm,
            PreQueryTemplate = "qwen2", // the tiny model has no template of its own: llama.cpp falls back to ChatML
            NumGenerations = 3,
            GenerationOptions = new ChatOptions { MaxOutputTokens = 12, Seed = 5, Temperature = 1.0f },
        };

        var rows = await task.ProcessAsync([new JsonObject()]).ToListAsync();

        // The random weights write gibberish, but every generation went through both calls: the
        // instruction the model wrote, then its answer to it.
        Assert.That(rows, Has.Count.EqualTo(3));
        Assert.That(rows.Select(r => (r["conversation"] as JsonArray)?.Select(t => (string?)t!["role"])), Has.All.EqualTo(new[] { "user", "assistant" }),
            string.Join("\n", rows.Select(r => r.ToJsonString())));
    }
}
