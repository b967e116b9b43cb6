using System.ClientModel.Primitives;
using System.Net;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.AI;

namespace Distil.OpenAI;

/// <summary>
/// Writes the body of a chat completions request exactly as the online path would send it: the
/// request goes through the same Microsoft.Extensions.AI client over the same OpenAI SDK client,
/// down to a transport that keeps the body and answers locally instead of sending it. So every
/// option that works online (sampling, stop sequences, JSON schemas, tools, raw representation
/// factories) is in the batch line the same way, with no mapping of our own to fall behind.
/// </summary>
internal sealed class RequestBodies : IDisposable
{
    // The body of the request under way in this async flow (AsyncLocal: captures never mix).
    private static readonly AsyncLocal<StrongBox<string?>?> Captured = new();

    private readonly HttpClient _http = new(new CaptureHandler());
    private readonly IChatClient _client;

    public RequestBodies(OpenAIConnection connection) =>
        _client = connection.ChatClientOver(new HttpClientPipelineTransport(_http));

    public async Task<JsonObject> BodyAsync(IReadOnlyList<ChatMessage> messages, ChatOptions options, CancellationToken cancellationToken)
    {
        var body = new StrongBox<string?>();
        Captured.Value = body;
        await _client.GetResponseAsync(messages, options, cancellationToken).ConfigureAwait(false);
        return JsonNode.Parse(body.Value ?? throw new InvalidOperationException("The chat client sent no request body to capture."))!.AsObject();
    }

    public void Dispose()
    {
        _client.Dispose();
        _http.Dispose();
    }

    private sealed class CaptureHandler : HttpMessageHandler
    {
        // The least a chat completion must hold for the SDK to read it.
        private const string Answer =
            """{"id":"capture","object":"chat.completion","created":0,"model":"capture","choices":[{"index":0,"message":{"role":"assistant","content":""},"finish_reason":"stop"}]}""";

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var box = Captured.Value ?? throw new InvalidOperationException("A request body was sent outside a capture.");
            box.Value = request.Content is null ? null : await request.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
            return new HttpResponseMessage(HttpStatusCode.OK) { Content = new StringContent(Answer, Encoding.UTF8, "application/json"), RequestMessage = request };
        }
    }
}
