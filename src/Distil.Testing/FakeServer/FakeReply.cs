namespace Distil.Testing;

/// <summary>What the fake server does with one request: answer it, or fail it in one of the ways real services do.</summary>
public abstract record FakeReply
{
    private FakeReply() { }

    /// <summary>How long after the request arrived the server replies (default at once).</summary>
    public TimeSpan Delay { get; init; }

    /// <summary>A 200 chat completion whose message content is <paramref name="Text"/>.</summary>
    public sealed record Answer(string Text) : FakeReply
    {
        /// <summary>The choice's <c>finish_reason</c> (default <c>stop</c>; <c>length</c> says the answer hit the token limit).</summary>
        public string FinishReason { get; init; } = "stop";
    }

    /// <summary>A 200 chat completion of <paramref name="text"/> that ended at the token limit (<c>finish_reason: length</c>), as a cut-off answer does.</summary>
    public static Answer CutOff(string text) => new(text) { FinishReason = "length" };

    /// <summary>A 429 with a <c>Retry-After</c> header in whole seconds, when given.</summary>
    public sealed record TooManyRequests(TimeSpan? RetryAfter = null) : FakeReply;

    /// <summary>An error status (default 500) with an OpenAI-style error body.</summary>
    public sealed record ServerError(int Status = 500) : FakeReply;

    /// <summary>The connection is closed without any response, as when a proxy or the server dies.</summary>
    public sealed record DropConnection : FakeReply;

    /// <summary>A 200 whose body is cut off half-way, so it is not valid JSON.</summary>
    public sealed record MalformedBody : FakeReply;

    /// <summary>Returns a copy of this reply that waits <paramref name="delay"/> before it is sent.</summary>
    public FakeReply After(TimeSpan delay) => this with { Delay = delay };
}
