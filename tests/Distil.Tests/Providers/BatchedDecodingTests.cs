using System.Text.RegularExpressions;
using Distil.LlamaSharp;
using Distil.Tests.Support;
using Microsoft.Extensions.AI;
using NUnit.Framework;

namespace Distil.Tests.Providers;

/// <summary>The tiny local model decoding many requests together in one context.</summary>
[NonParallelizable]
public class BatchedDecodingTests
{
    private static LocalChatClient Load(int parallel) =>
        LocalChatClient.Load(TestModel.Path, new LocalModelOptions { ContextSize = 512, MaxParallelRequests = parallel });

    private static ChatOptions Grammar(string gbnf, int seed) => new()
    {
        Seed = seed, Temperature = 1.0f, MaxOutputTokens = 24,
        AdditionalProperties = new AdditionalPropertiesDictionary { [ChatOptionsKeys.Grammar] = gbnf },
    };

    [Test]
    public async Task Concurrent_requests_with_their_own_grammars_seeds_and_stops_get_valid_independent_answers()
    {
        using var llm = Load(parallel: 6);
        var yesNo = "root ::= \"yes\" | \"no\"";
        var digits = "root ::= [0-9] [0-9] [0-9] \"!\"";
        var requests = Enumerable.Range(0, 18).Select(i => (i % 3) switch
        {
            0 => (Kind: "yes/no", Options: Grammar(yesNo, seed: i)),
            1 => (Kind: "digits", Options: Grammar(digits, seed: i)),
            _ => (Kind: "stop", Options: new ChatOptions { Seed = i, Temperature = 1.0f, MaxOutputTokens = 40, StopSequences = ["e"] }),
        }).ToList();

        var answers = await Task.WhenAll(requests.Select((r, i) => llm.GetResponseAsync([new ChatMessage(ChatRole.User, $"Request {i}: answer.")], r.Options)));

        for (var i = 0; i < requests.Count; i++)
        {
            var text = answers[i].Text;
            switch (requests[i].Kind)
            {
                case "yes/no": Assert.That(text, Is.EqualTo("yes").Or.EqualTo("no"), $"request {i}"); break;
                case "digits": Assert.That(text, Does.Match(@"^[0-9]{3}!$"), $"request {i}"); break;
                default: Assert.That(text, Does.Not.Contain("e"), $"request {i}: cut before its stop sequence"); break;
            }
        }
    }

    [Test]
    public async Task Usage_is_exact_input_tokens_as_the_model_counts_them_output_tokens_as_generated()
    {
        using var llm = Load(parallel: 4);
        var counter = (ITokenCounter)llm;
        var messages = Enumerable.Range(0, 8).Select(i => (IReadOnlyList<ChatMessage>)[new ChatMessage(ChatRole.System, "Be brief."), new ChatMessage(ChatRole.User, $"Question number {i}, longer {new string('x', i * 7)}")]).ToList();

        var answers = await Task.WhenAll(messages.Select(m => llm.GetResponseAsync(m, new ChatOptions { Seed = 1, MaxOutputTokens = 16 })));

        for (var i = 0; i < messages.Count; i++)
        {
            Assert.That(answers[i].Usage!.InputTokenCount, Is.EqualTo(counter.CountTokens(messages[i])), $"request {i}");
            if (answers[i].FinishReason == ChatFinishReason.Length) Assert.That(answers[i].Usage!.OutputTokenCount, Is.EqualTo(16), $"request {i}");
            else Assert.That(answers[i].Usage!.OutputTokenCount, Is.InRange(0, 16), $"request {i}");
        }
    }

    [Test]
    public async Task Cancelling_one_sequence_leaves_the_others_running()
    {
        using var llm = LocalChatClient.Load(TestModel.Path, new LocalModelOptions { ContextSize = 2048, MaxParallelRequests = 4 });
        using var cancel = new CancellationTokenSource();
        // A grammar of 1,500 letters: no answer can end early, so the cancelled one is still running
        // (or still waiting) when cancelled, whatever the machine's speed.
        var longAnswer = "root ::= " + string.Join(" ", Enumerable.Repeat("[a-z]", 1500));
        var options = Grammar(longAnswer, seed: 3);
        options.MaxOutputTokens = 1500;
        var others = Enumerable.Range(0, 3).Select(i => llm.GetResponseAsync($"Keep going {i}.", options)).ToList();
        var cancelled = llm.GetResponseAsync("This one is cancelled.", options, cancel.Token);

        // Cancelled from a thread of its own: on a busy two-core machine the decoder's sampling keeps
        // the thread pool's workers, and a timer continuation there was seen to run only after the
        // whole answer (two seconds) was done.
        var canceller = new Thread(() => { Thread.Sleep(20); cancel.Cancel(); }) { IsBackground = true };
        canceller.Start();

        Assert.That(async () => await cancelled, Throws.InstanceOf<OperationCanceledException>());
        var answers = await Task.WhenAll(others);
        Assert.That(answers.Select(a => a.Text.Length), Has.All.EqualTo(1500), "the others went on to their end");
    }

    [Test]
    public async Task A_seeded_request_gets_the_same_answer_alone_and_in_a_batch_of_eight()
    {
        var options = new ChatOptions { Seed = 42, Temperature = 1.0f, MaxOutputTokens = 24 };
        string alone;
        using (var single = Load(parallel: 1)) alone = (await single.GetResponseAsync("The same question.", options)).Text;

        using var batched = Load(parallel: 8);
        var others = Enumerable.Range(0, 7).Select(i => batched.GetResponseAsync($"Another question {i}.", new ChatOptions { Seed = i, Temperature = 1.0f, MaxOutputTokens = 24 })).ToList();
        var together = await batched.GetResponseAsync("The same question.", options);
        await Task.WhenAll(others);

        Assert.That(together.Text, Is.EqualTo(alone));
    }

    [Test]
    public async Task Seeded_requests_get_the_same_answers_alone_together_and_beside_neighbours_that_come_and_go()
    {
        // Sampled answers of 40 tokens: one logit that differs in its last bits changes the rest of
        // the answer. The neighbours have long prompts and end at different steps, so the questions'
        // tokens sit elsewhere in the cache than when they decode alone.
        var questions = Enumerable.Range(0, 4).Select(i => $"Question {i}: what is the colour of thing {i * 7}?").ToList();
        ChatOptions Seeded(int i) => new() { Seed = 40 + i, Temperature = 1.0f, MaxOutputTokens = 40 };
        var alone = new List<string>();
        using (var single = Load(parallel: 1))
        {
            for (var i = 0; i < questions.Count; i++) alone.Add((await single.GetResponseAsync(questions[i], Seeded(i))).Text);
        }

        using var batched = Load(parallel: 4);
        var together = await Task.WhenAll(questions.Select((q, i) => batched.GetResponseAsync(q, Seeded(i))));
        var padding = string.Concat(Enumerable.Repeat("Some long context for the neighbour. ", 12));
        var mixed = questions.SelectMany((q, i) => new[]
        {
            batched.GetResponseAsync($"{padding}Neighbour {i}.", new ChatOptions { Seed = i, Temperature = 1.0f, MaxOutputTokens = 1 + i * 5 }),
            batched.GetResponseAsync(q, Seeded(i)),
        }).ToList();
        var besideNeighbours = (await Task.WhenAll(mixed)).Where((_, k) => k % 2 == 1);

        Assert.That(together.Select(a => a.Text), Is.EqualTo(alone), "the four together");
        Assert.That(besideNeighbours.Select(a => a.Text), Is.EqualTo(alone), "beside neighbours that come and go");
    }

    [Test]
    public async Task An_answer_that_fills_its_own_context_is_cut_and_its_neighbour_goes_on()
    {
        using var llm = LocalChatClient.Load(TestModel.Path, new LocalModelOptions { ContextSize = 64, MaxParallelRequests = 2 });
        var everything = new ChatOptions { Seed = 1, Temperature = 1.0f, MaxOutputTokens = 500, AdditionalProperties = new() { [ChatOptionsKeys.Grammar] = "root ::= [a-z]+" } };
        var neighbour = llm.GetResponseAsync("A short one.", new ChatOptions { Seed = 2, MaxOutputTokens = 8 });

        var cut = await llm.GetResponseAsync("Go on for ever.", everything);

        Assert.That(cut.FinishReason, Is.EqualTo(ChatFinishReason.Length));
        Assert.That(cut.Usage!.InputTokenCount + cut.Usage.OutputTokenCount, Is.EqualTo(64), "prompt and answer fill the request's context");
        Assert.That((await neighbour).Usage!.OutputTokenCount, Is.InRange(1, 8));
        Assert.That(async () => await llm.GetResponseAsync(string.Concat(Enumerable.Repeat("far too long ", 40)), everything),
            Throws.InvalidOperationException.With.Message.Contains("holds 64 per request"));
    }

    [Test]
    public async Task The_faster_unreproducible_mode_still_answers_seeded_requests()
    {
        using var llm = LocalChatClient.Load(TestModel.Path, new LocalModelOptions { ContextSize = 512, MaxParallelRequests = 4, Reproducible = false });
        IReadOnlyList<ChatMessage> Row(int i) => [new ChatMessage(ChatRole.System, "Be brief."), new ChatMessage(ChatRole.User, $"Row {i}.")];

        var answers = await Task.WhenAll(Enumerable.Range(0, 6).Select(i => llm.GetResponseAsync(Row(i), new ChatOptions { Seed = i, MaxOutputTokens = 8 })));

        Assert.That(answers.Select(a => a.Usage!.OutputTokenCount), Has.All.InRange(1, 8));
    }

    [Test]
    public async Task Rows_sharing_a_system_prompt_answer_as_without_sharing()
    {
        // The shared prefix (chat template + system prompt) is decoded once and forked (only when
        // reproducibility is given up); the answers must be those of a client that decodes every prompt whole.
        var system = "You are a careful assistant. " + string.Concat(Enumerable.Repeat("Follow the rules. ", 20));
        var options = new ChatOptions { Seed = 5, Temperature = 0f, MaxOutputTokens = 12 };
        IReadOnlyList<ChatMessage> Row(int i) => [new ChatMessage(ChatRole.System, system), new ChatMessage(ChatRole.User, $"Row {i}.")];
        using var shared = LocalChatClient.Load(TestModel.Path, new LocalModelOptions { ContextSize = 512, MaxParallelRequests = 4, Reproducible = false });
        using var whole = LocalChatClient.Load(TestModel.Path, new LocalModelOptions { ContextSize = 512, BatchedDecoding = false });

        var withPrefix = await Task.WhenAll(Enumerable.Range(0, 6).Select(i => shared.GetResponseAsync(Row(i), options)));
        var without = new List<string>();
        for (var i = 0; i < 6; i++) without.Add((await whole.GetResponseAsync(Row(i), options)).Text);

        Assert.That(withPrefix.Select(a => a.Text), Is.EqualTo(without));
    }

    [TestCase("local:m.gguf?context=4096&parallel=8&gpu_layers=32", 4096u, 8, 32, true)]
    [TestCase("local:m.gguf", 2048u, 1, 0, true)]
    [TestCase("local:m.gguf?parallel=4&reproducible=0", 2048u, 4, 0, false)]
    public void Options_in_the_spec(string spec, uint context, int parallel, int gpu, bool reproducible)
    {
        var (path, options) = LocalModelsRegistration.Parse(ModelSpec.Parse(spec));
        Assert.That((path, options.ContextSize, options.MaxParallelRequests, options.GpuLayerCount, options.Reproducible), Is.EqualTo(("m.gguf", context, parallel, gpu, reproducible)));
    }

    [TestCase("local:m.gguf?threads=4", "'threads' in 'local:m.gguf?threads=4' is not a local model option")]
    [TestCase("local:m.gguf?parallel=0", "is out of range")]
    [TestCase("local:m.gguf?context=big", "is not name=number")]
    [TestCase("local:m.gguf?reproducible=2", "reproducible 0 or 1")]
    public void Bad_options_in_the_spec_are_refused(string spec, string message) =>
        Assert.That(() => LocalModelsRegistration.Parse(ModelSpec.Parse(spec)), Throws.TypeOf<ModelSpecException>().With.Message.Contains(message));
}

/// <summary>The tiny local model as an embedding generator.</summary>
public class LocalEmbeddingTests
{
    [Test]
    public async Task Texts_get_one_vector_each_the_same_text_the_same_vector()
    {
        using var embedder = LocalModelsRegistration.CreateEmbeddingGenerator($"local:{TestModel.Path}?context=256");
        IEmbeddingGenerator<string, Embedding<float>> generator = embedder;

        var vectors = await generator.GenerateAsync(["a cat sat on the mat", "quarterly revenue grew", "a cat sat on the mat"]);

        Assert.That(vectors, Has.Count.EqualTo(3));
        Assert.That(vectors.Select(v => v.Vector.Length), Has.All.EqualTo(embedder.Dimensions).And.All.GreaterThan(0));
        Assert.That(vectors[2].Vector.ToArray(), Is.EqualTo(vectors[0].Vector.ToArray()));
        Assert.That(vectors[1].Vector.ToArray(), Is.Not.EqualTo(vectors[0].Vector.ToArray()));
        Assert.That(vectors.Usage!.InputTokenCount, Is.GreaterThan(6));
        Assert.That(generator.GetService<EmbeddingGeneratorMetadata>()!.DefaultModelDimensions, Is.EqualTo(embedder.Dimensions));
    }

    [Test]
    public void A_remote_spec_is_refused_for_local_embeddings() =>
        Assert.That(() => LocalModelsRegistration.CreateEmbeddingGenerator("openai:text-embedding-3-small"),
            Throws.TypeOf<ModelSpecException>().With.Message.Contains("is not a local model"));
}
