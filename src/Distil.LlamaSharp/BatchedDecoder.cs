using System.Text;
using System.Threading.Channels;
using LLama;
using LLama.Batched;
using LLama.Common;
using LLama.Native;
using LLama.Sampling;

namespace Distil.LlamaSharp;

/// <summary>
/// Continuous batching over one llama.cpp context: up to <c>maxSequences</c> requests decode
/// together, one token each per step, and a request that ends makes room for the next at once.
/// Each sequence has its own sampling pipeline (seed, temperature, grammar), token budget and stop
/// sequences. With a KV cache stream per sequence (<c>cellsPerSequence</c> given), an answer does
/// not depend on its neighbours: each prompt, and each sequence's next token, is decoded in a
/// llama.cpp call of its own. With one unified cache, the tokens of a step decode in one call, the
/// sequences are sampled in parallel across cores (on a small model, sampling a 32,000-token
/// vocabulary costs more than decoding), and a prompt prefix shared by many requests (the chat
/// template and a task's system prompt) can be decoded once and forked for each.
/// One loop owns the context: llama.cpp contexts are not thread-safe.
/// </summary>
internal sealed class BatchedDecoder : IDisposable
{
    private const int PrefixCacheSize = 4;

    private readonly LLamaWeights _weights;
    private readonly BatchedExecutor _executor;
    private readonly int _maxSequences;
    private readonly int _batchTokens;
    private readonly Channel<Job> _incoming = Channel.CreateUnbounded<Job>(new UnboundedChannelOptions { SingleReader = true });
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    // Prefixes already decoded, most recently used last: their conversations are forked, never sampled.
    private readonly List<Prefix> _prefixes = [];

    // With a KV stream per sequence: the cells each sequence has, prompt and answer together; null with one unified cache.
    private readonly int? _cellsPerSequence;

    public BatchedDecoder(LLamaWeights weights, ModelParams parameters, int maxSequences, int? cellsPerSequence = null)
    {
        _weights = weights;
        _maxSequences = maxSequences;
        _cellsPerSequence = cellsPerSequence;
        _batchTokens = (int)parameters.BatchSize;
        _executor = new BatchedExecutor(weights, parameters, null);
        _loop = Task.Factory.StartNew(() => LoopAsync(_stop.Token), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default).Unwrap();
    }

    /// <summary>The answer to one request, and its exact token counts.</summary>
    public sealed record Result(string Text, int InputTokens, int OutputTokens, bool Truncated);

    /// <summary>
    /// Queues a request; it decodes as soon as a sequence slot is free. <c>prefix</c> is the part of
    /// the prompt worth sharing with other requests (it must start the prompt), or null.
    /// </summary>
    public Task<Result> GenerateAsync(string prompt, string? prefix, ISamplingPipeline sampling, int maxTokens, IReadOnlyList<string> stops, CancellationToken cancellationToken)
    {
        var job = new Job(prompt, prefix, sampling, maxTokens, stops, cancellationToken, _weights);
        if (!_incoming.Writer.TryWrite(job)) throw new ObjectDisposedException(nameof(BatchedDecoder));
        return job.Completion.Task;
    }

    public void Dispose()
    {
        _incoming.Writer.TryComplete();
        _stop.Cancel();
        try
        {
            _loop.Wait(TimeSpan.FromSeconds(30));
        }
        catch (AggregateException)
        {
            // The loop ends by cancellation; its jobs were failed there.
        }
        foreach (var prefix in _prefixes) prefix.Conversation.Dispose();
        _executor.Dispose();
        _stop.Dispose();
    }

    private async Task LoopAsync(CancellationToken stop)
    {
        var active = new List<Job>();
        var waiting = new Queue<Job>();
        try
        {
            while (!stop.IsCancellationRequested)
            {
                // Take new requests while there is room; with nothing to do, wait for one.
                while (_incoming.Reader.TryRead(out var next)) waiting.Enqueue(next);
                if (active.Count == 0 && waiting.Count == 0)
                {
                    if (!await _incoming.Reader.WaitToReadAsync(stop).ConfigureAwait(false)) return;
                    continue;
                }
                if (_cellsPerSequence is null)
                {
                    GiveSampledTokens(active);
                    var preparingPrefix = AdmitTogether(active, waiting);
                    if (active.Count == 0 && !preparingPrefix) continue;
                    if (!await DecodeAsync(active, active, stop).ConfigureAwait(false)) continue;
                    foreach (var prefix in _prefixes) prefix.Ready = true;
                    Advance(active.Where(j => j.Conversation!.RequiresSampling).ToList(), active);
                }
                else
                {
                    await AdmitEachAloneAsync(active, waiting, stop).ConfigureAwait(false);
                    await StepEachAloneAsync(active, stop).ConfigureAwait(false);
                }
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }
        catch (Exception error)
        {
            foreach (var job in active) Finish(job, error);
            foreach (var job in waiting) job.Completion.TrySetException(error);
            while (_incoming.Reader.TryRead(out var job)) job.Completion.TrySetException(error);
            return;
        }
        var disposed = new ObjectDisposedException(nameof(LocalChatClient), "The local model was disposed while requests were running.");
        foreach (var job in active) Finish(job, disposed);
        foreach (var job in waiting) job.Completion.TrySetException(disposed);
        while (_incoming.Reader.TryRead(out var left)) left.Completion.TrySetException(disposed);
    }

    // Shared cache: new prompts decode in the same step as the running sequences' next tokens, and a
    // shared prefix in a step before its requests. Returns whether a prefix is being prepared.
    private bool AdmitTogether(List<Job> active, Queue<Job> waiting)
    {
        // One decode per step: every token queued in it must fit one llama.cpp batch, so
        // that no sequence's logits are overwritten before it is sampled.
        var budget = _batchTokens - active.Count;
        while (active.Count < _maxSequences && waiting.Count > 0)
        {
            var job = waiting.Peek();
            if (job.Cancellation.IsCancellationRequested)
            {
                waiting.Dequeue().Completion.TrySetCanceled(job.Cancellation);
                continue;
            }
            switch (Start(job, ref budget))
            {
                case Started.Yes:
                    waiting.Dequeue();
                    active.Add(job);
                    break;
                case Started.Failed:
                    waiting.Dequeue();
                    break;
                case Started.AfterPrefix: // the shared prefix decodes in this step; the request forks it in the next
                case Started.NextStep: // no room left in this step's batch
                    return true;
            }
        }
        return false;
    }

    // A stream per sequence: each new prompt is decoded in a llama.cpp call of its own, and sampled
    // at once, before the running sequences' next tokens. A prompt decoded beside other sequences'
    // tokens went through different matrix kernels (the batch was larger) and its logits differed in
    // their last bits, enough to change a sampled answer: the answer then depended on when its
    // neighbours came, and a resumed run did not match an uninterrupted one.
    private async Task AdmitEachAloneAsync(List<Job> active, Queue<Job> waiting, CancellationToken stop)
    {
        while (active.Count < _maxSequences && waiting.TryDequeue(out var job))
        {
            if (job.Cancellation.IsCancellationRequested)
            {
                job.Completion.TrySetCanceled(job.Cancellation);
                continue;
            }
            var budget = _batchTokens;
            if (Start(job, ref budget) != Started.Yes) continue; // failed, and finished with its error
            active.Add(job);
            List<Job> alone = [job];
            if (await DecodeAsync(alone, active, stop).ConfigureAwait(false)) Advance(alone, active);
        }
    }

    // A stream per sequence: each sequence's next token is decoded in a call of its own, so that
    // nothing llama.cpp computes for it depends on how many neighbours it has or how long theirs are.
    private async Task StepEachAloneAsync(List<Job> active, CancellationToken stop)
    {
        foreach (var job in active.ToList())
        {
            List<Job> alone = [job];
            GiveSampledTokens(alone);
            if (await DecodeAsync(alone, active, stop).ConfigureAwait(false)) Advance(alone, active);
        }
    }

    // Gives each running sequence the token sampled for it in the last step, to decode in the next.
    private static void GiveSampledTokens(List<Job> active)
    {
        foreach (var job in active)
        {
            if (job.Next is not { } token) continue;
            job.Conversation!.Prompt(token);
            job.Next = null;
        }
    }

    // Decodes every token queued; on failure, the jobs of the step end with the error and leave the active list.
    private async Task<bool> DecodeAsync(List<Job> jobs, List<Job> active, CancellationToken stop)
    {
        var result = await _executor.Infer(stop).ConfigureAwait(false);
        if (result == DecodeResult.Ok) return true;
        var error = new InvalidOperationException(result == DecodeResult.NoKvSlot
            ? $"The local model's context is full ({_maxSequences} sequences at once): give it a larger context, or fewer parallel requests."
            : $"llama.cpp failed to decode ({result}).");
        foreach (var job in jobs.ToList())
        {
            Finish(job, error);
            active.Remove(job);
        }
        return false;
    }

    // Samples the jobs' next tokens at once, one core each; a job that ends leaves the active list.
    private void Advance(List<Job> ready, List<Job> active)
    {
        var indices = ready.Select(j => j.Conversation!.GetSampleIndex()).ToArray();
        var tokens = new LLamaToken[ready.Count];
        var context = _executor.Context.NativeHandle;
        Parallel.For(0, ready.Count, i => tokens[i] = ready[i].Sampling.Sample(context, indices[i]));

        for (var i = 0; i < ready.Count; i++)
        {
            var job = ready[i];
            if (job.Cancellation.IsCancellationRequested)
            {
                Finish(job, new OperationCanceledException(job.Cancellation));
                active.Remove(job);
                continue;
            }
            var token = tokens[i];
            if (token.IsEndOfGeneration(_weights.Vocab))
            {
                Finish(job, null);
                active.Remove(job);
                continue;
            }
            job.OutputTokens++;
            job.Decoder.Add(token);
            var before = job.Text.Length;
            job.Text.Append(job.Decoder.Read());
            var stopped = Stopped(job, before);
            if (stopped || job.OutputTokens >= job.MaxTokens)
            {
                job.Truncated = !stopped;
                Finish(job, null);
                active.Remove(job);
                continue;
            }
            job.Next = token;
        }
    }

    private enum Started { Yes, AfterPrefix, NextStep, Failed }

    // A conversation for the job: a fork of its decoded prefix plus the rest of its prompt, or the whole prompt.
    private Started Start(Job job, ref int budget)
    {
        try
        {
            var tokens = job.Tokens ??= _weights.Tokenize(job.Prompt, true, true, Encoding.UTF8);
            job.InputTokens = tokens.Length;
            if (tokens.Length > _batchTokens)
            {
                throw new InvalidOperationException($"The prompt is {tokens.Length} tokens, more than the {_batchTokens} the local model decodes at once: give it a larger batch size, or a shorter prompt.");
            }
            if (_cellsPerSequence is { } cells)
            {
                // A sequence cannot borrow another's cells: a prompt that fills its own is refused, and
                // an answer ends (cut, as by MaxOutputTokens) when they are full, so no neighbour fails with it.
                if (tokens.Length >= cells)
                {
                    throw new InvalidOperationException($"The prompt is {tokens.Length} tokens, and the local model's context holds {cells} per request, answer included: give it a larger context, or a shorter prompt.");
                }
                job.MaxTokens = Math.Min(job.MaxTokens, cells - tokens.Length);
            }
            if (job.Prefix is { Length: > 0 } prefixText)
            {
                var cached = _prefixes.FirstOrDefault(p => p.Text == prefixText);
                if (cached is null)
                {
                    var prefixTokens = _weights.Tokenize(prefixText, true, true, Encoding.UTF8);
                    // Shared only when the prompt's tokens really begin with the prefix's (no token spans the seam).
                    if (prefixTokens.Length > 0 && prefixTokens.Length < tokens.Length && tokens.AsSpan(0, prefixTokens.Length).SequenceEqual(prefixTokens))
                    {
                        if (prefixTokens.Length > budget) return Started.NextStep;
                        budget -= prefixTokens.Length;
                        var conversation = _executor.Create();
                        conversation.Prompt(prefixTokens);
                        _prefixes.Add(new Prefix(prefixText, prefixTokens.Length, conversation));
                        if (_prefixes.Count > PrefixCacheSize)
                        {
                            _prefixes[0].Conversation.Dispose();
                            _prefixes.RemoveAt(0);
                        }
                        return Started.AfterPrefix;
                    }
                }
                else if (cached.Ready)
                {
                    if (tokens.Length - cached.Tokens > budget) return Started.NextStep;
                    budget -= tokens.Length - cached.Tokens;
                    _prefixes.Remove(cached);
                    _prefixes.Add(cached);
                    job.Conversation = cached.Conversation.Fork();
                    job.Conversation.Prompt(tokens.AsSpan(cached.Tokens));
                    return Started.Yes;
                }
                else
                {
                    return Started.AfterPrefix;
                }
            }
            if (tokens.Length > budget) return Started.NextStep;
            budget -= tokens.Length;
            job.Conversation = _executor.Create();
            job.Conversation.Prompt(tokens);
            return Started.Yes;
        }
        catch (Exception error)
        {
            Finish(job, error);
            return Started.Failed;
        }
    }

    // Whether a stop sequence now appears in the text: anywhere the new piece could have completed one
    // (a token may hold a stop sequence in its middle). The client cuts the answer there.
    private static bool Stopped(Job job, int lengthBefore)
    {
        foreach (var stop in job.Stops)
        {
            if (stop.Length == 0) continue;
            var from = Math.Max(0, lengthBefore - stop.Length + 1);
            if (job.Text.Length - from >= stop.Length && job.Text.ToString(from, job.Text.Length - from).Contains(stop, StringComparison.Ordinal)) return true;
        }
        return false;
    }

    private static void Finish(Job job, Exception? error)
    {
        job.Conversation?.Dispose();
        job.Conversation = null;
        if (error is OperationCanceledException cancelled) job.Completion.TrySetCanceled(cancelled.CancellationToken);
        else if (error is not null) job.Completion.TrySetException(error);
        else job.Completion.TrySetResult(new Result(job.Text.ToString(), job.InputTokens, job.OutputTokens, job.Truncated));
    }

    private sealed class Prefix(string text, int tokens, Conversation conversation)
    {
        public string Text { get; } = text;
        public int Tokens { get; } = tokens;
        public Conversation Conversation { get; } = conversation;
        public bool Ready { get; set; }
    }

    private sealed class Job(string prompt, string? prefix, ISamplingPipeline sampling, int maxTokens, IReadOnlyList<string> stops, CancellationToken cancellation, LLamaWeights weights)
    {
        public LLamaToken[]? Tokens { get; set; }
        public StreamingTokenDecoder Decoder { get; } = new(Encoding.UTF8, weights);
        public string Prompt { get; } = prompt;
        public string? Prefix { get; } = prefix;
        public ISamplingPipeline Sampling { get; } = sampling;
        public int MaxTokens { get; set; } = maxTokens;
        public IReadOnlyList<string> Stops { get; } = stops;
        public CancellationToken Cancellation { get; } = cancellation;
        public TaskCompletionSource<Result> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public StringBuilder Text { get; } = new();
        public Conversation? Conversation { get; set; }
        // The token sampled in the last step, given to the conversation before the next decode.
        public LLamaToken? Next { get; set; }
        public int InputTokens { get; set; }
        public int OutputTokens { get; set; }
        public bool Truncated { get; set; }
    }
}
