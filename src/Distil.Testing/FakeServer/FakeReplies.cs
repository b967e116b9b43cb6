namespace Distil.Testing;

/// <summary>
/// Builds the reply rules of a <see cref="FakeOpenAIServer"/>: an answer rule, then latency and
/// faults layered on it.
/// </summary>
/// <example>
/// <code>
/// server.Reply = FakeReplies.Answering(r => "{\"score\":3}")
///     .WithLatency(TimeSpan.FromMilliseconds(50))
///     .WithTransientFaults(0.2, seed: 7);
/// </code>
/// </example>
public static class FakeReplies
{
    /// <summary>Answers every request with the text <paramref name="answer"/> gives for it.</summary>
    public static Func<FakeRequest, FakeReply> Answering(Func<FakeRequest, string> answer)
    {
        ArgumentNullException.ThrowIfNull(answer);
        return request => new FakeReply.Answer(answer(request));
    }

    /// <summary>Fails every request with a 500: a service that is down.</summary>
    public static Func<FakeRequest, FakeReply> Outage(int status = 500) => _ => new FakeReply.ServerError(status);

    /// <summary>Waits <paramref name="latency"/> before every reply.</summary>
    public static Func<FakeRequest, FakeReply> WithLatency(this Func<FakeRequest, FakeReply> reply, TimeSpan latency)
    {
        ArgumentNullException.ThrowIfNull(reply);
        return request => reply(request).After(latency);
    }

    /// <summary>
    /// Waits a lognormal time before every reply: the median is <paramref name="median"/>, and
    /// <paramref name="sigma"/> the spread of its logarithm (0.5 gives a long tail of slow answers).
    /// </summary>
    public static Func<FakeRequest, FakeReply> WithLognormalLatency(
        this Func<FakeRequest, FakeReply> reply, TimeSpan median, double sigma, int seed)
    {
        ArgumentNullException.ThrowIfNull(reply);
        var random = new Random(seed);
        return request =>
        {
            double normal;
            lock (random)
            {
                // Box–Muller: two uniform draws give one standard normal draw.
                var u1 = 1.0 - random.NextDouble();
                var u2 = random.NextDouble();
                normal = Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2.0 * Math.PI * u2);
            }
            return reply(request).After(median * Math.Exp(sigma * normal));
        };
    }

    /// <summary>
    /// Fails a <paramref name="rate"/> share of requests, drawn at random with <paramref name="seed"/>,
    /// the way flaky services fail: a 429 with <c>Retry-After: 0</c>, a 500, a 503, a dropped
    /// connection or a malformed body, in turn. The other requests get the inner reply.
    /// </summary>
    public static Func<FakeRequest, FakeReply> WithTransientFaults(this Func<FakeRequest, FakeReply> reply, double rate, int seed)
    {
        ArgumentNullException.ThrowIfNull(reply);
        ArgumentOutOfRangeException.ThrowIfNegative(rate);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(rate, 1.0);
        var random = new Random(seed);
        FakeReply[] faults =
        [
            new FakeReply.TooManyRequests(TimeSpan.Zero),
            new FakeReply.ServerError(500),
            new FakeReply.ServerError(503),
            new FakeReply.DropConnection(),
            new FakeReply.MalformedBody(),
        ];
        var next = 0;
        return request =>
        {
            bool fail;
            lock (random) fail = random.NextDouble() < rate;
            if (!fail) return reply(request);
            var fault = faults[(Interlocked.Increment(ref next) - 1) % faults.Length];
            return fault with { Delay = reply(request).Delay };
        };
    }

    /// <summary>
    /// Replies with <paramref name="first"/> to every request that opens a conversation (no assistant
    /// turn in it, see <see cref="FakeRequest.AssistantTurns"/>), and with the rule to follow-ups: the
    /// first answer to each conversation is, say, unreadable, and every re-ask gets a good one.
    /// </summary>
    /// <example>
    /// <code>
    /// server.Reply = FakeReplies.Answering(_ => "[1] Score: 4\n[2] Score: 2")
    ///     .OnFirstTurn(_ => new FakeReply.Answer("I would rather not score these."));
    /// </code>
    /// </example>
    public static Func<FakeRequest, FakeReply> OnFirstTurn(this Func<FakeRequest, FakeReply> reply, Func<FakeRequest, FakeReply> first)
    {
        ArgumentNullException.ThrowIfNull(reply);
        ArgumentNullException.ThrowIfNull(first);
        return request => request.AssistantTurns == 0 ? first(request) : reply(request);
    }

    /// <summary>Replies with <paramref name="first"/> to the first <paramref name="count"/> requests, then with the rule.</summary>
    public static Func<FakeRequest, FakeReply> AfterFirst(this Func<FakeRequest, FakeReply> reply, int count, FakeReply first)
    {
        ArgumentNullException.ThrowIfNull(reply);
        return request => request.Index < count ? first : reply(request);
    }
}
