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

    /// <summary>
    /// A 200 chat completion in which the model asks for tool calls (<c>tool_calls</c>,
    /// <c>finish_reason: tool_calls</c>), each with its id, tool name and arguments as JSON text.
    /// </summary>
    public sealed record ToolCalls(IReadOnlyList<FakeToolCall> Calls) : FakeReply
    {
        /// <summary>Text the assistant says beside its calls; null (default) for none.</summary>
        public string? Text { get; init; }
    }

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

/// <summary>One tool call of a <see cref="FakeReply.ToolCalls"/> reply.</summary>
/// <param name="Id">The call's id, which the tool's result must name.</param>
/// <param name="Name">The tool asked for.</param>
/// <param name="Arguments">The arguments as JSON text, e.g. <c>{"a": 17, "b": 25}</c>.</param>
public sealed record FakeToolCall(string Id, string Name, string Arguments);
