using System.Threading.RateLimiting;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Polly;
using Polly.Retry;

namespace Distil;

/// <summary>
/// Middleware that keeps a long run going against a rate-limited, flaky service: it bounds the
/// requests in flight, spaces them to a requests- and tokens-per-minute budget, gives each attempt
/// a time limit, and retries transient failures (429, 5xx, timeouts, dropped connections,
/// malformed bodies) with exponential backoff and jitter, waiting as long as a
/// <c>Retry-After</c> header asks. Built on Polly and System.Threading.RateLimiting.
/// </summary>
/// <remarks>
/// Order, outermost first: retry, request rate, token rate, concurrency, attempt timeout. A
/// request waiting out a backoff or a rate budget holds no concurrency slot, and only the call
/// itself counts against the attempt timeout. The concurrency slot comes from an
/// <see cref="AdaptiveConcurrency"/> (<see cref="Concurrency"/>), which a
/// <see cref="ChatClientFactory"/> shares among every client of one model; with
/// <see cref="ResilienceOptions.AdaptiveConcurrency"/> on, a refused call (429, 503 without
/// <c>Retry-After</c>) is retried after about one latency window the first two times, since
/// the cut limit itself is the back-off; later retries back off exponentially. Streaming calls pass through
/// untouched: Distil's tasks do not stream, and a half-streamed answer cannot be retried safely.
/// </remarks>
/// <example>
/// <code>
/// IChatClient llm = new ResilientChatClient(provider, new ResilienceOptions { MaxConcurrentRequests = 32, RequestsPerMinute = 500 }, logger);
/// // or: provider.AsBuilder().UseResilience(new ResilienceOptions { ... }, logger).Build();
/// </code>
/// </example>
public sealed class ResilientChatClient : DelegatingChatClient
{
    private long _retries;

    private const int DefaultOutputTokens = 256;

    private readonly ResiliencePipeline _pipeline;
    private readonly ResiliencePipeline _attempt;
    private readonly ILogger _logger;
    private readonly string _server;
    private readonly RateLimiter? _requestRate;
    private readonly TokenBucketRateLimiter? _tokenRate;
    private readonly int _tokenBucketSize;
    private readonly AdaptiveConcurrency _concurrency;
    // Tokens the answers used beyond their estimates (negative: fewer), settled on the next requests.
    private long _tokenBalance;

    /// <summary>Wraps <paramref name="innerClient"/>.</summary>
    /// <param name="innerClient">The provider's client.</param>
    /// <param name="options">Limits and retry settings; the defaults when null.</param>
    /// <param name="logger">Receives a warning for every retry: the step, the server, the reason and the wait, never a key.</param>
    /// <param name="concurrency">
    /// The limit on calls in flight, when shared with other clients of the same model; null: one
    /// of this client's own, from <see cref="ResilienceOptions.MaxConcurrentRequests"/> and
    /// <see cref="ResilienceOptions.AdaptiveConcurrency"/>.
    /// </param>
    public ResilientChatClient(IChatClient innerClient, ResilienceOptions? options = null, ILogger? logger = null, AdaptiveConcurrency? concurrency = null)
        : base(innerClient)
    {
        Options = options ?? new ResilienceOptions();
        Options.Validate();
        _logger = logger ?? NullLogger.Instance;
        var metadata = innerClient.GetService<ChatClientMetadata>();
        _server = ServerNames.Describe(metadata);
        _concurrency = concurrency ?? new AdaptiveConcurrency(
            metadata?.DefaultModelId is { Length: > 0 } model ? model : _server, ceiling: Options.MaxConcurrentRequests, adaptive: Options.AdaptiveConcurrency);

        // Outer: retry, then the request rate; the token budget is taken in between (its charge
        // varies per request, which Polly's limiter strategy cannot express); inner: the
        // concurrency slot and the attempt timeout, so that waiting for a budget holds no slot
        // and does not count against the attempt.
        var outer = new ResiliencePipelineBuilder();
        if (Options.MaxRetries > 0) outer.AddRetry(RetryOptions(Options));
        if (Options.RequestsPerMinute is { } rpm)
        {
            _requestRate = EvenlySpaced(rpm);
            outer.AddRateLimiter(_requestRate);
        }
        if (Options.TokensPerMinute is { } tpm)
        {
            // Ten seconds' worth may go at once, so that one large prompt still fits the bucket.
            _tokenBucketSize = Math.Max(1, tpm / 6);
            _tokenRate = new TokenBucketRateLimiter(new TokenBucketRateLimiterOptions
            {
                TokenLimit = _tokenBucketSize,
                TokensPerPeriod = Math.Max(1, (int)Math.Ceiling(tpm / 60.0)),
                ReplenishmentPeriod = TimeSpan.FromSeconds(1),
                QueueLimit = int.MaxValue,
                QueueProcessingOrder = QueueProcessingOrder.OldestFirst,
                AutoReplenishment = true,
            });
        }
        var inner = new ResiliencePipelineBuilder();
        if (Options.AttemptTimeout is { } timeout) inner.AddTimeout(timeout);
        _pipeline = outer.Build();
        _attempt = inner.Build();
    }

    /// <summary>The settings this client runs with.</summary>
    public ResilienceOptions Options { get; }

    /// <summary>How many retries this client has made so far (for progress displays).</summary>
    public long Retries => Interlocked.Read(ref _retries);

    /// <summary>The limit on this client's calls in flight (shared with the other clients of its model when a factory made them).</summary>
    public AdaptiveConcurrency Concurrency => _concurrency;

    /// <inheritdoc/>
    public override object? GetService(Type serviceType, object? serviceKey = null)
    {
        ArgumentNullException.ThrowIfNull(serviceType);
        return serviceKey is null && serviceType == typeof(AdaptiveConcurrency) ? _concurrency : base.GetService(serviceType, serviceKey);
    }

    /// <inheritdoc/>
    public override Task<ChatResponse> GetResponseAsync(
        IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(messages);
        // The messages are enumerated once per attempt.
        var request = new Request(this, messages as IReadOnlyCollection<ChatMessage> ?? messages.ToList(), options);
        return _pipeline.ExecuteAsync(
            static (request, token) => request.Client.AttemptAsync(request, token), request, cancellationToken).AsTask();
    }

    /// <inheritdoc/>
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _requestRate?.Dispose();
            _tokenRate?.Dispose();
        }
        base.Dispose(disposing);
    }

    private async ValueTask<ChatResponse> AttemptAsync(Request request, CancellationToken cancellationToken)
    {
        var estimate = 0;
        if (_tokenRate is not null)
        {
            estimate = EstimateTokens(request.Messages, request.Options);
            await ChargeTokensAsync(estimate, cancellationToken).ConfigureAwait(false);
        }
        using var slot = await _concurrency.AcquireAsync(cancellationToken).ConfigureAwait(false);
        ChatResponse response;
        try
        {
            response = await _attempt.ExecuteAsync(
                static (request, token) => new ValueTask<ChatResponse>(request.Client.SendAsync(request, token)),
                request, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception error) when (!cancellationToken.IsCancellationRequested && TransientFaults.IsRefusal(error))
        {
            slot.Refused(TransientFaults.RetryAfter(error));
            throw;
        }
        slot.Answered();
        if (_tokenRate is not null) SettleTokens(estimate, response.Usage);
        return response;
    }

    // The estimate plus what earlier answers used beyond theirs (or minus what they left), at most
    // one bucket: a request never waits for more than the bucket holds.
    private async ValueTask ChargeTokensAsync(int estimate, CancellationToken cancellationToken)
    {
        var charge = estimate + Interlocked.Exchange(ref _tokenBalance, 0);
        if (charge > _tokenBucketSize)
        {
            Interlocked.Add(ref _tokenBalance, charge - _tokenBucketSize);
            charge = _tokenBucketSize;
        }
        else if (charge <= 0)
        {
            // The earlier answers' credit pays for this one; what is left stays for the next.
            Interlocked.Add(ref _tokenBalance, charge);
            return;
        }
        using var lease = await _tokenRate!.AcquireAsync((int)charge, cancellationToken).ConfigureAwait(false);
        if (!lease.IsAcquired) throw new InvalidOperationException("The tokens-per-minute limiter refused a request.");
    }

    // Rule: the budget counts what the service counts. The answer's reported usage replaces the
    // estimate; the difference is charged (or refunded) on the next requests.
    private void SettleTokens(int estimate, UsageDetails? usage)
    {
        var used = usage?.TotalTokenCount ?? (usage?.InputTokenCount + usage?.OutputTokenCount);
        if (used is { } tokens) Interlocked.Add(ref _tokenBalance, tokens - estimate);
    }

    /// <summary>Tokens the answers so far used beyond their estimates (negative: fewer), not yet charged to the budget.</summary>
    internal long TokenBalance => Interlocked.Read(ref _tokenBalance);

    private Task<ChatResponse> SendAsync(Request request, CancellationToken cancellationToken) =>
        base.GetResponseAsync(request.Messages, request.Options, cancellationToken);

    private RetryStrategyOptions RetryOptions(ResilienceOptions options) => TransientFaults.RetryOptions(
        options.MaxRetries, options.BaseDelay, options.MaxDelay, args =>
        {
            Interlocked.Increment(ref _retries);
            CallScope.Retried();
            LogRetry(args.Outcome.Exception, args.AttemptNumber + 1, options.MaxRetries, args.RetryDelay);
            return default;
        }, options.AdaptiveConcurrency ? RefusalDelay : null);

    // Rule: with adaptive concurrency, the cut limit is the back-off of a refused call: its first
    // two retries wait about one latency window (so that the cut takes hold), later ones back off
    // exponentially as usual, in case the refusals are a rate limit rather than a lack of capacity.
    private TimeSpan? RefusalDelay(Exception error, int attempt) =>
        attempt < 2 ? _concurrency.RetryWindow(attempt, Options.MaxDelay) : null;

    // Rule: a retry line names the step whose call failed and the server it went to (a load
    // balancer says which of its servers were tried), so that a user can tell a flaky server from
    // a flaky step. Server names carry no key, user name or query string.
    private void LogRetry(Exception? error, int retry, int maxRetries, TimeSpan delay)
    {
        var reason = error is null ? "no answer" : TransientFaults.Describe(error);
        var server = error is not null && LoadBalancingChatClient.ServersTried(error) is { } tried ? tried : _server;
        if (CallScope.Step is { } step)
        {
            _logger.LogWarning("Step '{Step}': LLM request to {Server} failed ({Reason}); retry {Retry} of {MaxRetries} in {Delay:0.###} s.",
                step, server, reason, retry, maxRetries, delay.TotalSeconds);
        }
        else
        {
            _logger.LogWarning("LLM request to {Server} failed ({Reason}); retry {Retry} of {MaxRetries} in {Delay:0.###} s.",
                server, reason, retry, maxRetries, delay.TotalSeconds);
        }
    }

    // One request per 1/rpm of a minute, with no burst: a budget met evenly is a budget never exceeded.
    private static RateLimiter EvenlySpaced(int requestsPerMinute)
    {
        // The limiter's timer is coarse: above 600 a minute, hand out several per tick of at
        // least 100 ms, the tick stretched so that the rate is exact and never above the budget.
        var perPeriod = Math.Max(1, requestsPerMinute / 600);
        var period = TimeSpan.FromMinutes(1) * perPeriod / requestsPerMinute;
        return new TokenBucketRateLimiter(new TokenBucketRateLimiterOptions
        {
            TokenLimit = perPeriod,
            TokensPerPeriod = perPeriod,
            ReplenishmentPeriod = period,
            QueueLimit = int.MaxValue,
            QueueProcessingOrder = QueueProcessingOrder.OldestFirst,
            AutoReplenishment = true,
        });
    }

    private static int EstimateTokens(IEnumerable<ChatMessage> messages, ChatOptions? options)
    {
        long characters = 0;
        foreach (var message in messages) characters += message.Text.Length;
        return (int)Math.Min(int.MaxValue, characters / 4 + (options?.MaxOutputTokens ?? DefaultOutputTokens));
    }

    private sealed record Request(ResilientChatClient Client, IReadOnlyCollection<ChatMessage> Messages, ChatOptions? Options);
}
