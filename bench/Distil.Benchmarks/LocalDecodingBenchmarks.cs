using System.Text;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Engines;
using Distil.LlamaSharp;
using LLama;
using LLama.Batched;
using LLama.Common;
using LLama.Native;
using LLama.Sampling;
using Microsoft.Extensions.AI;

namespace Distil.Benchmarks;

/// <summary>
/// Local decoding with the tiny model (samples/models): 16 requests of 48 new tokens each per
/// operation (768 tokens), at 1, 4, 8 and 16 sequences at once. Arms, in the same run: the engine
/// before batching (a fresh context per request, <c>BatchedDecoding = false</c>), the batched
/// client (reproducible by default: a KV cache stream per sequence), the batched client with
/// <c>Reproducible = false</c> (one unified cache), and a bare <see cref="BatchedExecutor"/> loop
/// with the same parallel sampling, the floor.
/// Seeds are fixed and chosen so that no answer ends early: every arm decodes exactly 768 tokens.
/// </summary>
[MemoryDiagnoser(false)]
[SimpleJob(RunStrategy.Monitoring, launchCount: 1, warmupCount: 2, iterationCount: 8)]
public class LocalDecodingBenchmarks
{
    public const int Requests = 16;
    public const int Tokens = 48;

    [Params(1, 4, 8, 16)]
    public int Sequences { get; set; }

    private LocalChatClient _old = null!;
    private LocalChatClient _batched = null!;
    private LocalChatClient _unified = null!;
    private LLamaWeights _weights = null!;
    private int[] _seeds = null!;

    public static string ModelPath => Path.Combine(RepositoryRoot(), "samples", "models", "llama-2-tiny-random.gguf");

    [GlobalSetup]
    public void Setup()
    {
        _old = LocalChatClient.Load(ModelPath, new LocalModelOptions { ContextSize = 256, MaxParallelRequests = Sequences, BatchedDecoding = false });
        _batched = LocalChatClient.Load(ModelPath, new LocalModelOptions { ContextSize = 256, MaxParallelRequests = Sequences });
        _unified = LocalChatClient.Load(ModelPath, new LocalModelOptions { ContextSize = 256, MaxParallelRequests = Sequences, Reproducible = false });
        _weights = LLamaWeights.LoadFromFile(new ModelParams(ModelPath));
        // Seeds whose answers run the full 48 tokens, so that every arm does the same work.
        var seeds = new List<int>();
        for (var seed = 1; seeds.Count < Requests; seed++)
        {
            var answer = _batched.GetResponseAsync(Prompt(seeds.Count), Options(seed)).GetAwaiter().GetResult();
            if (answer.Usage!.OutputTokenCount == Tokens) seeds.Add(seed);
        }
        _seeds = [.. seeds];
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _old.Dispose();
        _batched.Dispose();
        _unified.Dispose();
        _weights.Dispose();
    }

    private static string Prompt(int i) => $"Write about item {i}.";

    private static ChatOptions Options(int seed) => new() { Seed = seed, Temperature = 1.0f, MaxOutputTokens = Tokens };

    [Benchmark(Baseline = true, Description = "before: a context per request")]
    public Task<long> Old_path() => RunAsync(_old);

    [Benchmark(Description = "batched client (reproducible)")]
    public Task<long> Batched_client() => RunAsync(_batched);

    [Benchmark(Description = "batched client, Reproducible = false")]
    public Task<long> Unified_cache() => RunAsync(_unified);

    private async Task<long> RunAsync(IChatClient llm)
    {
        var answers = await Task.WhenAll(Enumerable.Range(0, Requests).Select(i => llm.GetResponseAsync(Prompt(i), Options(_seeds[i]))));
        var tokens = answers.Sum(a => a.Usage!.OutputTokenCount ?? 0);
        return tokens == Requests * Tokens ? tokens : throw new InvalidOperationException($"{tokens} tokens, not {Requests * Tokens}: the arms would do different work.");
    }

    [Benchmark(Description = "floor: bare BatchedExecutor loop")]
    public async Task<long> Bare_loop()
    {
        using var executor = new BatchedExecutor(_weights, new ModelParams(ModelPath) { ContextSize = 256u * (uint)(Sequences + 1), BatchSize = 2048, SeqMax = (uint)Sequences });
        long generated = 0;
        for (var start = 0; start < Requests; start += Sequences)
        {
            var wave = Enumerable.Range(start, Math.Min(Sequences, Requests - start)).Select(i =>
            {
                var conversation = executor.Create();
                conversation.Prompt(_weights.Tokenize(Prompt(i), true, true, Encoding.UTF8));
                return (Conversation: conversation, Sampling: new DefaultSamplingPipeline { Seed = (uint)_seeds[i], Temperature = 1.0f, PreventEOS = true });
            }).ToList();
            for (var step = 0; step < Tokens; step++)
            {
                await executor.Infer();
                var indices = wave.Select(w => w.Conversation.GetSampleIndex()).ToArray();
                var tokens = new LLamaToken[wave.Count];
                var context = executor.Context.NativeHandle;
                Parallel.For(0, wave.Count, i => tokens[i] = wave[i].Sampling.Sample(context, indices[i]));
                for (var i = 0; i < wave.Count; i++)
                {
                    generated++;
                    if (step < Tokens - 1) wave[i].Conversation.Prompt(tokens[i]);
                }
            }
            foreach (var (conversation, sampling) in wave)
            {
                conversation.Dispose();
                sampling.Dispose();
            }
        }
        return generated;
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Distil.Generated.sln"))) return dir.FullName;
        }
        throw new InvalidOperationException("The repository root is not above the benchmark's folder.");
    }
}

/// <summary>
/// Time to first token with a long system prompt shared by every request (about 600 tokens of the
/// tiny model): 8 requests of one new token each, with the shared prefix decoded once and forked
/// (<c>Reproducible = false</c>), against decoding each prompt whole in a unified cache and in the
/// default reproducible client (a KV cache stream per sequence, no prefix shared). All arms batch 8 sequences.
/// </summary>
[SimpleJob(RunStrategy.Monitoring, launchCount: 1, warmupCount: 2, iterationCount: 10)]
public class PrefixReuseBenchmarks
{
    private static readonly string System = "You rate product reviews for a marketplace. " + string.Concat(Enumerable.Range(0, 60).Select(i => $"Rule {i}: be fair and brief. "));

    private LocalChatClient _shared = null!;
    private LocalChatClient _whole = null!;
    private LocalChatClient _reproducible = null!;

    [GlobalSetup]
    public void Setup()
    {
        _shared = LocalChatClient.Load(LocalDecodingBenchmarks.ModelPath, new LocalModelOptions { ContextSize = 1024, MaxParallelRequests = 8, Reproducible = false });
        _whole = LocalChatClient.Load(LocalDecodingBenchmarks.ModelPath, new LocalModelOptions { ContextSize = 1024, MaxParallelRequests = 8, Reproducible = false, SharePromptPrefix = false });
        _reproducible = LocalChatClient.Load(LocalDecodingBenchmarks.ModelPath, new LocalModelOptions { ContextSize = 1024, MaxParallelRequests = 8 });
        Console.WriteLine($"// System prompt: {((ITokenCounter)_shared).CountTokens([new ChatMessage(ChatRole.System, System)])} tokens with the chat template");
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _shared.Dispose();
        _whole.Dispose();
        _reproducible.Dispose();
    }

    [Benchmark(Baseline = true, Description = "each prompt decoded whole")]
    public Task<int> Whole() => FirstTokensAsync(_whole);

    [Benchmark(Description = "shared prefix forked")]
    public Task<int> Shared() => FirstTokensAsync(_shared);

    [Benchmark(Description = "reproducible: whole, a KV stream per sequence")]
    public Task<int> Reproducible() => FirstTokensAsync(_reproducible);

    private static async Task<int> FirstTokensAsync(IChatClient llm)
    {
        var answers = await Task.WhenAll(Enumerable.Range(0, 8).Select(i => llm.GetResponseAsync(
            [new ChatMessage(ChatRole.System, System), new ChatMessage(ChatRole.User, $"Review {i}: fine.")],
            new ChatOptions { Seed = i, MaxOutputTokens = 1 })));
        return answers.Length;
    }
}
