namespace Distil;

/// <summary>
/// How a <see cref="ResilientChatClient"/> shields a run from a rate-limited, flaky service. The
/// defaults suit a hosted API: unbounded concurrency (the task's <c>MaxConcurrency</c> bounds it),
/// six retries from 1 s up to 60 s with jitter, and a 120 s limit per attempt.
/// </summary>
public sealed record ResilienceOptions
{
    /// <summary>
    /// The most requests this client sends at once, across every task that shares it (null: no
    /// bound but <see cref="Distil.AdaptiveConcurrency.DefaultCeiling"/> when adaptive). With
    /// <see cref="AdaptiveConcurrency"/> on, the ceiling the adaptive limit never goes above.
    /// </summary>
    public int? MaxConcurrentRequests { get; set; }

    /// <summary>
    /// Whether the calls in flight follow what the service takes (default true): start at
    /// <see cref="Distil.AdaptiveConcurrency.DefaultInitialLimit"/>, grow while calls succeed and
    /// their latency holds, cut on 429, 503 and timeouts, never above <see cref="MaxConcurrentRequests"/>.
    /// False: <see cref="MaxConcurrentRequests"/> is a fixed bound. Either way a <c>Retry-After</c>
    /// pauses new sends to the model until the time it names.
    /// </summary>
    public bool AdaptiveConcurrency { get; set; } = true;

    /// <summary>How many times a transient failure is retried before the call fails (default 6).</summary>
    public int MaxRetries { get; set; } = 6;

    /// <summary>The first retry's delay; each later one doubles it, with jitter (default 1 s).</summary>
    public TimeSpan BaseDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>The longest wait between attempts (default 60 s). A longer <c>Retry-After</c> is still honoured.</summary>
    public TimeSpan MaxDelay { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>How long one attempt may take before it is abandoned and retried (default 120 s; null: no limit).</summary>
    public TimeSpan? AttemptTimeout { get; set; } = TimeSpan.FromSeconds(120);

    /// <summary>Requests per minute the service allows (null: no limit). Requests are spaced evenly.</summary>
    public int? RequestsPerMinute { get; set; }

    /// <summary>
    /// Tokens per minute the service allows (null: no limit). A request is charged before it is
    /// sent, from an estimate: its prompt's characters / 4 plus its <c>MaxOutputTokens</c> (or 256);
    /// once answered, the difference between the estimate and the usage the answer reports is
    /// settled on the next requests (charged on top, or taken off).
    /// </summary>
    public int? TokensPerMinute { get; set; }

    /// <summary>Checks the values, naming the one that is wrong.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A value is out of range.</exception>
    public void Validate()
    {
        if (MaxConcurrentRequests is < 1)
            throw new ArgumentOutOfRangeException(nameof(MaxConcurrentRequests), MaxConcurrentRequests, "MaxConcurrentRequests must be 1 or more, or null for no bound.");
        if (MaxRetries < 0)
            throw new ArgumentOutOfRangeException(nameof(MaxRetries), MaxRetries, "MaxRetries must be 0 or more.");
        if (BaseDelay < TimeSpan.Zero)
            throw new ArgumentOutOfRangeException(nameof(BaseDelay), BaseDelay, "BaseDelay must not be negative.");
        if (MaxDelay < BaseDelay)
            throw new ArgumentOutOfRangeException(nameof(MaxDelay), MaxDelay, "MaxDelay must be at least BaseDelay.");
        if (AttemptTimeout is { } timeout && timeout <= TimeSpan.Zero)
            throw new ArgumentOutOfRangeException(nameof(AttemptTimeout), AttemptTimeout, "AttemptTimeout must be positive, or null for no limit.");
        if (RequestsPerMinute is < 1)
            throw new ArgumentOutOfRangeException(nameof(RequestsPerMinute), RequestsPerMinute, "RequestsPerMinute must be 1 or more, or null for no limit.");
        if (TokensPerMinute is < 1)
            throw new ArgumentOutOfRangeException(nameof(TokensPerMinute), TokensPerMinute, "TokensPerMinute must be 1 or more, or null for no limit.");
    }
}
