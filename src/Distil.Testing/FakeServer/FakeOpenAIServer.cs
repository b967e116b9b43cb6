using System.Collections.Concurrent;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Distil.Testing;

/// <summary>
/// An OpenAI-compatible chat-completions server on 127.0.0.1 (Kestrel), for tests that must talk
/// real HTTP: each request gets the <see cref="FakeReply"/> that <see cref="Reply"/> chooses,
/// which may answer, wait, or fail with a 429, a 5xx, a dropped connection or a malformed body.
/// It logs every request and counts the requests in flight.
/// </summary>
/// <remarks>
/// Routes: <c>POST /v1/chat/completions</c> (OpenAI and compatible servers, base URL
/// <see cref="BaseUrl"/>) and <c>POST /openai/deployments/{deployment}/chat/completions</c>
/// (Azure OpenAI, endpoint <see cref="Endpoint"/>).
/// </remarks>
/// <example>
/// <code>
/// await using var server = await FakeOpenAIServer.StartAsync();
/// server.Reply = FakeReplies.Answering(r => "{\"score\":3}").WithTransientFaults(0.2, seed: 1);
/// var llm = new OpenAIClient(new ApiKeyCredential("test"), new() { Endpoint = server.BaseUrl })
///     .GetChatClient("fake-model").AsIChatClient();
/// </code>
/// </example>
public sealed class FakeOpenAIServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentQueue<FakeRequest> _requests = new();
    private readonly object _gauge = new();
    private readonly System.Diagnostics.Stopwatch _clock = System.Diagnostics.Stopwatch.StartNew();
    private readonly InFlightGauge _inFlight = new();
    private int _arrivals;
    // Small, because dozens of replies in flight act on one stale correction: a large gain oscillates.
    private const double FeedbackGain = 0.002;
    private double _timerLatenessMs;
    private double _latencyErrorMs;
    private long _delayedReplies;
    private int _serving;
    private int _refused;
    private int _maxConcurrent; // 0: no bound

    private FakeOpenAIServer(WebApplication app, Uri endpoint)
    {
        Batches = new FakeBatchService(request => Reply(request));
        _app = app;
        Endpoint = endpoint;
        BaseUrl = new Uri(endpoint, "v1/");
    }

    /// <summary>The OpenAI-style base URL, <c>http://127.0.0.1:PORT/v1/</c>.</summary>
    public Uri BaseUrl { get; }

    /// <summary>The server root, <c>http://127.0.0.1:PORT/</c>, the endpoint an Azure OpenAI client takes.</summary>
    public Uri Endpoint { get; }

    /// <summary>Chooses the reply to each request. Default: answer <c>fake answer N</c>. Safe to change while serving.</summary>
    public Func<FakeRequest, FakeReply> Reply { get; set; } = FakeReplies.Answering(r => $"fake answer {r.Index}");

    /// <summary>
    /// A deployment's capacity: at most this many chat requests are served at once, and every
    /// request beyond it is refused at once with HTTP 429 (with <see cref="CapacityRetryAfter"/>
    /// when set). Null (the default): no bound. Safe to change while serving, e.g. to test that a
    /// client finds capacity that comes back; <c>POST /fake/capacity</c> with the number (or
    /// <c>none</c>) as the body changes it from outside the process (<c>distil fake-server --capacity</c>).
    /// Refused requests are not in <see cref="Requests"/> or <see cref="RequestCount"/>: <see cref="RefusedCount"/> counts them.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">Set below 1.</exception>
    public int? MaxConcurrent
    {
        get => Volatile.Read(ref _maxConcurrent) is > 0 and var capacity ? capacity : null;
        set
        {
            if (value is < 1) throw new ArgumentOutOfRangeException(nameof(value), value, "MaxConcurrent must be 1 or more, or null for no bound.");
            Volatile.Write(ref _maxConcurrent, value ?? 0);
        }
    }

    /// <summary>The <c>Retry-After</c> a refusal for capacity carries (null, the default: none; whole seconds, rounded up).</summary>
    public TimeSpan? CapacityRetryAfter { get; set; }

    /// <summary>Chat requests refused with 429 because <see cref="MaxConcurrent"/> were being served.</summary>
    public int RefusedCount => Volatile.Read(ref _refused);

    /// <summary>The Files and Batches API (OpenAI's Batch API), answering batch lines with <see cref="Reply"/>.</summary>
    public FakeBatchService Batches { get; }

    /// <summary>
    /// Whether <see cref="Requests"/> keeps every request (default true). Turn it off for runs of
    /// many thousands of requests, whose bodies would otherwise pile up in memory.
    /// </summary>
    public bool KeepRequestLog { get; set; } = true;

    /// <summary>Every request received so far, in arrival order (empty when <see cref="KeepRequestLog"/> is off).</summary>
    public IReadOnlyList<FakeRequest> Requests => _requests.OrderBy(r => r.Index).ToList();

    /// <summary>How many requests have arrived.</summary>
    public int RequestCount => Volatile.Read(ref _arrivals);

    /// <summary>How many requests are being served now.</summary>
    public int InFlight => _inFlight.InFlight;

    /// <summary>The most requests that were in flight at one moment.</summary>
    public int PeakInFlight => _inFlight.Peak;

    /// <summary>
    /// The time-weighted mean of requests in flight, from the first arrival to the last reply: how
    /// busy a client kept the server.
    /// </summary>
    public double MeanInFlight => _inFlight.Mean;

    /// <summary>
    /// How much later than asked, on average, the replies with a delay left (negative: earlier).
    /// Benchmarks report it, so that a server's lateness is not counted against its client.
    /// </summary>
    public TimeSpan MeanReplyLateness
    {
        get
        {
            lock (_gauge) return _delayedReplies == 0 ? TimeSpan.Zero : TimeSpan.FromMilliseconds(_latencyErrorMs / _delayedReplies);
        }
    }

    /// <summary>Starts a server on a free port of 127.0.0.1.</summary>
    public static Task<FakeOpenAIServer> StartAsync(CancellationToken cancellationToken = default) => StartAsync(0, cancellationToken);

    /// <summary>Starts a server on <paramref name="port"/> of 127.0.0.1 (0: a free port).</summary>
    /// <exception cref="ArgumentOutOfRangeException">The port is not 0 to 65535.</exception>
    /// <exception cref="IOException">The port is taken.</exception>
    public static async Task<FakeOpenAIServer> StartAsync(int port, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(port);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(port, IPEndPoint.MaxPort);
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ContentRootPath = AppContext.BaseDirectory });
        builder.Logging.ClearProviders();
        // Rule: the server never takes the process's Ctrl+C or SIGTERM (the default console lifetime
        // would swallow them and wait for a shutdown no one asks for); its owner stops it.
        builder.Services.AddSingleton<IHostLifetime, OwnedLifetime>();
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, port));
        var app = builder.Build();

        // The handlers need the server, and the server needs the port Kestrel picked: requests
        // cannot arrive before StartAsync returns the address, so the late binding is safe.
        FakeOpenAIServer? server = null;
        app.MapPost("/v1/chat/completions", context => server!.HandleAsync(context, deployment: null));
        app.MapPost("/openai/deployments/{deployment}/chat/completions",
            context => server!.HandleAsync(context, (string?)context.Request.RouteValues["deployment"]));
        app.MapPost("/fake/capacity", context => server!.SetCapacityAsync(context));
        app.MapPost("/v1/embeddings", context => server!.EmbedAsync(context));
        app.MapPost("/openai/deployments/{deployment}/embeddings", context => server!.EmbedAsync(context));
        foreach (var prefix in new[] { "/v1", "/openai" })
        {
            app.MapPost(prefix + "/files", context => server!.Batches.UploadAsync(context));
            app.MapPost(prefix + "/batches", context => server!.Batches.CreateAsync(context));
            app.MapGet(prefix + "/batches/{id}", context => server!.Batches.GetAsync(context, (string)context.Request.RouteValues["id"]!));
            app.MapGet(prefix + "/files/{id}/content", context => server!.Batches.ContentAsync(context, (string)context.Request.RouteValues["id"]!));
        }
        await app.StartAsync(cancellationToken).ConfigureAwait(false);

        var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()
            ?? throw new InvalidOperationException("Kestrel did not report the address it listens on.");
        server = new FakeOpenAIServer(app, new Uri(addresses.Addresses.First().TrimEnd('/') + "/"));
        return server;
    }

    /// <summary>Forgets the request log and the in-flight statistics (not the reply rule).</summary>
    public void ResetStatistics()
    {
        _requests.Clear();
        lock (_gauge)
        {
            _arrivals = 0;
            _refused = 0;
            _inFlight.Reset();
            _latencyErrorMs = 0;
            _delayedReplies = 0;
        }
    }

    /// <summary>Stops the server.</summary>
    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync().ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
    }

    /// <summary>Embedding requests answered so far (each may hold several texts).</summary>
    public int EmbeddingRequestCount => Volatile.Read(ref _embeddingRequests);

    /// <summary>Texts embedded so far.</summary>
    public int EmbeddedTexts => Volatile.Read(ref _embeddedTexts);

    /// <summary>Fails the next embedding requests with a 503, for testing retries (default 0).</summary>
    public int EmbeddingFailures { get; set; }

    private int _embeddingRequests;
    private int _embeddedTexts;

    /// <summary>
    /// The fake's embedding of <paramref name="text"/>: 64 numbers, a normalised count of its words
    /// hashed into 64 slots, so that texts sharing words are near each other. Deterministic.
    /// </summary>
    public static float[] Embedding(string text)
    {
        var vector = new float[64];
        foreach (var word in text.ToLowerInvariant().Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries))
        {
            var hash = System.IO.Hashing.XxHash32.HashToUInt32(Encoding.UTF8.GetBytes(word));
            vector[hash % 64] += (hash & 0x80000000) == 0 ? 1 : -1;
        }
        var norm = Math.Sqrt(vector.Sum(v => v * v));
        if (norm > 0) for (var i = 0; i < vector.Length; i++) vector[i] = (float)(vector[i] / norm);
        return vector;
    }

    // /v1/embeddings: one vector per input text, as floats or base64 (the OpenAI SDK asks for base64).
    private async Task EmbedAsync(HttpContext context)
    {
        var body = await ReadBodyAsync(context).ConfigureAwait(false);
        Interlocked.Increment(ref _embeddingRequests);
        if (EmbeddingFailures > 0)
        {
            EmbeddingFailures--;
            context.Response.StatusCode = 503;
            await context.Response.WriteAsync("""{"error":{"message":"The fake server failed this embedding request.","type":"server_error"}}""", context.RequestAborted).ConfigureAwait(false);
            return;
        }
        var inputs = body["input"] switch
        {
            JsonArray list => list.Select(i => (string?)i ?? "").ToList(),
            var one => [(string?)one ?? ""],
        };
        Interlocked.Add(ref _embeddedTexts, inputs.Count);
        var base64 = (string?)body["encoding_format"] == "base64";
        var data = new JsonArray();
        for (var i = 0; i < inputs.Count; i++)
        {
            var vector = Embedding(inputs[i]);
            JsonNode embedding = base64
                ? Convert.ToBase64String(System.Runtime.InteropServices.MemoryMarshal.AsBytes(vector.AsSpan()))
                : new JsonArray(vector.Select(v => (JsonNode)v).ToArray());
            data.Add((JsonNode)new JsonObject { ["object"] = "embedding", ["index"] = i, ["embedding"] = embedding });
        }
        var tokens = inputs.Sum(t => t.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries).Length);
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(new JsonObject
        {
            ["object"] = "list", ["data"] = data, ["model"] = (string?)body["model"] ?? "fake-embedding",
            ["usage"] = new JsonObject { ["prompt_tokens"] = tokens, ["total_tokens"] = tokens },
        }.ToJsonString(), context.RequestAborted).ConfigureAwait(false);
    }

    // POST /fake/capacity with "24" (or "none") as the body: the capacity from now on.
    private async Task SetCapacityAsync(HttpContext context)
    {
        using var reader = new StreamReader(context.Request.Body);
        var text = (await reader.ReadToEndAsync(context.RequestAborted).ConfigureAwait(false)).Trim();
        if (text.Equals("none", StringComparison.OrdinalIgnoreCase))
        {
            MaxConcurrent = null;
        }
        else if (int.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var capacity) && capacity >= 1)
        {
            MaxConcurrent = capacity;
        }
        else
        {
            context.Response.StatusCode = StatusCodes.Status400BadRequest;
            await context.Response.WriteAsync($"The capacity must be a whole number of 1 or more, or none; got '{text}'.", context.RequestAborted).ConfigureAwait(false);
            return;
        }
        await context.Response.WriteAsync($"capacity {MaxConcurrent?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "none"}", context.RequestAborted).ConfigureAwait(false);
    }

    // Rule: a request beyond the capacity is refused at once, as a deployment at its quota does.
    private async Task<bool> RefuseOverCapacityAsync(HttpContext context)
    {
        var capacity = MaxConcurrent;
        if (capacity is null) return false;
        if (Interlocked.Increment(ref _serving) <= capacity) return false;
        Interlocked.Decrement(ref _serving);
        Interlocked.Increment(ref _refused);
        await WriteReplyAsync(context, null!, new FakeReply.TooManyRequests(CapacityRetryAfter), deployment: null).ConfigureAwait(false);
        return true;
    }

    private async Task HandleAsync(HttpContext context, string? deployment)
    {
        var arrival = _clock.Elapsed;
        var body = await ReadBodyAsync(context).ConfigureAwait(false);
        var counted = MaxConcurrent is not null;
        if (counted && await RefuseOverCapacityAsync(context).ConfigureAwait(false)) return;
        try
        {
            await ServeAsync(context, deployment, arrival, body).ConfigureAwait(false);
        }
        finally
        {
            if (counted) Interlocked.Decrement(ref _serving);
        }
    }

    private async Task ServeAsync(HttpContext context, string? deployment, TimeSpan arrival, JsonObject body)
    {
        var hasCredential = context.Request.Headers.ContainsKey("Authorization") || context.Request.Headers.ContainsKey("api-key");
        var request = new FakeRequest(Interlocked.Increment(ref _arrivals) - 1, context.Request.Path, body, hasCredential, arrival);
        if (KeepRequestLog) _requests.Enqueue(request);
        _inFlight.Arrive();
        try
        {
            var reply = Reply(request);
            if (reply.Delay > TimeSpan.Zero) await WaitUntilAsync(arrival + reply.Delay, context.RequestAborted).ConfigureAwait(false);
            await WriteReplyAsync(context, request, reply, deployment).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            // The client gave up (a timeout or a cancelled run): nothing left to answer.
        }
        finally
        {
            _inFlight.Depart();
        }
    }

    // The latency counts from the request's arrival: reading and parsing it is part of it. Timers
    // wake late (about 2 ms on Linux for a 50 ms wait), which would make a "50 ms" server a 52 ms
    // one; the server learns how late they wake and asks for that much less, so that replies
    // leave on time on average. MeanLatency reports what was achieved.
    private async Task WaitUntilAsync(TimeSpan due, CancellationToken cancellationToken)
    {
        double lateness;
        lock (_gauge) lateness = _timerLatenessMs;
        var wait = due - _clock.Elapsed - TimeSpan.FromMilliseconds(lateness);
        if (wait > TimeSpan.Zero) await Task.Delay(wait, cancellationToken).ConfigureAwait(false);
        var late = (_clock.Elapsed - due).TotalMilliseconds;
        lock (_gauge)
        {
            // Feedback on the reply's own lateness: the correction settles where replies are on time.
            if (wait > TimeSpan.Zero) _timerLatenessMs = Math.Max(0, _timerLatenessMs + FeedbackGain * late);
            _latencyErrorMs += late;
            _delayedReplies++;
        }
    }

    private static async Task<JsonObject> ReadBodyAsync(HttpContext context)
    {
        try
        {
            return await JsonNode.ParseAsync(context.Request.Body, cancellationToken: context.RequestAborted)
                .ConfigureAwait(false) as JsonObject ?? [];
        }
        catch (JsonException)
        {
            return [];
        }
    }

    private static async Task WriteReplyAsync(HttpContext context, FakeRequest request, FakeReply reply, string? deployment)
    {
        var response = context.Response;
        switch (reply)
        {
            case FakeReply.Answer answer:
                response.ContentType = "application/json";
                await response.WriteAsync(Completion(request, answer.Text, deployment, answer.FinishReason), context.RequestAborted).ConfigureAwait(false);
                break;
            case FakeReply.ToolCalls calls:
                response.ContentType = "application/json";
                await response.WriteAsync(ToolCallCompletion(request, calls, deployment), context.RequestAborted).ConfigureAwait(false);
                break;
            case FakeReply.TooManyRequests tooMany:
                response.StatusCode = StatusCodes.Status429TooManyRequests;
                if (tooMany.RetryAfter is { } wait)
                {
                    response.Headers.RetryAfter = ((int)Math.Ceiling(wait.TotalSeconds)).ToString(System.Globalization.CultureInfo.InvariantCulture);
                }
                await WriteErrorAsync(context, "rate_limit_exceeded", "Rate limit reached for requests.").ConfigureAwait(false);
                break;
            case FakeReply.ServerError error:
                response.StatusCode = error.Status;
                await WriteErrorAsync(context, "server_error", "The server had an error while processing your request.").ConfigureAwait(false);
                break;
            case FakeReply.DropConnection:
                context.Abort();
                break;
            case FakeReply.MalformedBody:
                response.ContentType = "application/json";
                var whole = Completion(request, "cut off", deployment);
                await response.WriteAsync(whole[..(whole.Length / 2)], context.RequestAborted).ConfigureAwait(false);
                break;
            default:
                throw new InvalidOperationException($"Unknown fake reply {reply.GetType().Name}.");
        }
    }

    private static Task WriteErrorAsync(HttpContext context, string code, string message)
    {
        context.Response.ContentType = "application/json";
        var error = new JsonObject { ["error"] = new JsonObject { ["message"] = message, ["type"] = code, ["code"] = code } };
        return context.Response.WriteAsync(error.ToJsonString(), context.RequestAborted);
    }

    internal static string Completion(FakeRequest request, string text, string? deployment, string finishReason = "stop")
    {
        var promptTokens = CountWords(request.Prompt);
        var completionTokens = CountWords(text);
        return new JsonObject
        {
            ["id"] = $"chatcmpl-fake-{request.Index}",
            ["object"] = "chat.completion",
            ["created"] = DateTimeOffset.UtcNow.ToUnixTimeSeconds(),
            ["model"] = request.Model ?? deployment ?? "fake-model",
            ["choices"] = new JsonArray(new JsonObject
            {
                ["index"] = 0,
                ["message"] = new JsonObject { ["role"] = "assistant", ["content"] = text },
                ["finish_reason"] = finishReason,
            }),
            ["usage"] = new JsonObject
            {
                ["prompt_tokens"] = promptTokens,
                ["completion_tokens"] = completionTokens,
                ["total_tokens"] = promptTokens + completionTokens,
            },
        }.ToJsonString();
    }

    // A completion whose message asks for tool calls, as OpenAI sends it: content null (or the
    // text said beside), tool_calls of type function with arguments as JSON text.
    private static string ToolCallCompletion(FakeRequest request, FakeReply.ToolCalls calls, string? deployment)
    {
        var completion = JsonNode.Parse(Completion(request, calls.Text ?? "", deployment, "tool_calls"))!.AsObject();
        var message = completion["choices"]![0]!["message"]!.AsObject();
        message["content"] = calls.Text;
        message["tool_calls"] = new JsonArray([.. calls.Calls.Select(call => (JsonNode)new JsonObject
        {
            ["id"] = call.Id,
            ["type"] = "function",
            ["function"] = new JsonObject { ["name"] = call.Name, ["arguments"] = call.Arguments },
        })]);
        return completion.ToJsonString();
    }

    // A stand-in for a tokenizer: stable, and grows with the text.
    private static int CountWords(string text) =>
        text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries).Length;

    // The host's lifetime when the owner of the server decides when it stops.
    private sealed class OwnedLifetime : IHostLifetime
    {
        public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
