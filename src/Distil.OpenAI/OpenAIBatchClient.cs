using System.ClientModel;
using System.ClientModel.Primitives;
using System.Net;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using OpenAI;
using OpenAI.Batch;
using OpenAI.Chat;
using OpenAI.Files;

// The SDK marks its Batch API and its model contexts as evaluation APIs (OPENAI001); they are the
// service's stable Batch API, and the only way to reach it through the SDK.
#pragma warning disable OPENAI001

namespace Distil.OpenAI;

/// <summary>
/// The Batch API of OpenAI (and OpenAI-compatible servers) and Azure OpenAI through the official
/// SDK (<see cref="OpenAIFileClient"/> and <see cref="BatchClient"/> of the connection's client, so
/// with its endpoint and its credential: an API key, or Entra ID for Azure). Requests go up as JSONL
/// files (purpose <c>batch</c>), split under the service's limits, each line's body written by the
/// online path's own conversion (<see cref="RequestBodies"/>); batches are created with a
/// completion window, polled, and their output and error files streamed back and read with the
/// SDK's own chat completion model.
/// </summary>
internal sealed class OpenAIBatchClient : IOfflineBatchClient, IDisposable
{
    private readonly OpenAIConnection _connection;
    private readonly OpenAIFileClient _files;
    private readonly BatchClient _batches;
    private readonly RequestBodies _bodies;

    public OpenAIBatchClient(OpenAIConnection connection, OfflineBatchOptions options)
    {
        _connection = connection;
        Options = options;
        _files = connection.Client.GetOpenAIFileClient();
        _batches = connection.Client.GetBatchClient();
        _bodies = new RequestBodies(connection);
    }

    public OfflineBatchOptions Options { get; }

    // The chat completions route as batch lines name it: Azure's is relative to its /openai base.
    private string Route => _connection.Kind == OpenAIConnection.Service.Azure ? "/chat/completions" : "/v1/chat/completions";

    public string Describe() => $"the {_connection.Kind} Batch API at {_connection.Endpoint} (model {_connection.Model})";

    public async Task SubmitAsync(IReadOnlyList<OfflineBatchRequest> requests, Action<SubmittedBatch> created, CancellationToken cancellationToken)
    {
        var file = new StringBuilder();
        var fileBytes = 0L;
        var ids = new List<string>();
        foreach (var request in requests)
        {
            var line = await BatchLineAsync(request, cancellationToken).ConfigureAwait(false);
            var bytes = Encoding.UTF8.GetByteCount(line) + 1;
            if (ids.Count > 0 && (ids.Count >= Options.MaxRequestsPerBatch || fileBytes + bytes > Options.MaxBytesPerBatch))
            {
                // Each batch is reported as soon as it exists: a failure on the next must not lose its id.
                created(await CreateBatchAsync(file.ToString(), ids, cancellationToken).ConfigureAwait(false));
                file.Clear();
                fileBytes = 0;
                ids = [];
            }
            if (bytes > Options.MaxBytesPerBatch)
            {
                throw new InvalidOperationException($"The batch request '{request.CustomId}' alone is {bytes:N0} bytes, over the {Options.MaxBytesPerBatch:N0} bytes a batch file may hold.");
            }
            file.Append(line).Append('\n');
            fileBytes += bytes;
            ids.Add(request.CustomId);
        }
        if (ids.Count > 0) created(await CreateBatchAsync(file.ToString(), ids, cancellationToken).ConfigureAwait(false));
    }

    public async Task<OfflineBatchState> GetStateAsync(string batchId, CancellationToken cancellationToken)
    {
        var result = await Call($"checking batch {batchId}", () => _batches.GetBatchAsync(batchId, new RequestOptions { CancellationToken = cancellationToken })).ConfigureAwait(false);
        // The SDK's BatchJob keeps the status to itself; the JSON has it.
        var batch = JsonNode.Parse(result.GetRawResponse().Content.ToMemory().Span) as JsonObject
            ?? throw new InvalidOperationException($"The batch service answered checking batch {batchId} with something that is not a JSON object.");
        return new OfflineBatchState(batchId, (string?)batch["status"] ?? "unknown", (string?)batch["output_file_id"], (string?)batch["error_file_id"])
        {
            Error = (string?)batch["errors"]?["data"]?[0]?["message"],
        };
    }

    public async IAsyncEnumerable<OfflineBatchResult> ReadResultsAsync(string fileId, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        // Streamed, not buffered: an output file may hold 200 MB of answers.
        var result = await Call($"reading batch file {fileId}",
            () => _files.DownloadFileAsync(fileId, new RequestOptions { BufferResponse = false, CancellationToken = cancellationToken })).ConfigureAwait(false);
        using var response = result.GetRawResponse();
        using var reader = new StreamReader(response.ContentStream ?? Stream.Null, Encoding.UTF8);
        while (await reader.ReadLineAsync(cancellationToken).ConfigureAwait(false) is { } line)
        {
            if (string.IsNullOrWhiteSpace(line)) continue;
            if (Result(line) is { } answer) yield return answer;
        }
    }

    public void Dispose() => _bodies.Dispose();

    // One line of the service's output or error file: an answer, read as the SDK reads an online
    // one, or the reason there is none.
    private static OfflineBatchResult? Result(string line)
    {
        if (JsonNode.Parse(line) is not JsonObject item || (string?)item["custom_id"] is not { } customId) return null;
        var status = (int?)item["response"]?["status_code"];
        var body = item["response"]?["body"];
        if (status == 200 && body is JsonObject)
        {
            var completion = ModelReaderWriter.Read<ChatCompletion>(BinaryData.FromString(body.ToJsonString()), ModelReaderWriterOptions.Json, OpenAIContext.Default)
                ?? throw new InvalidDataException($"The batch answer '{customId}' is not a chat completion.");
            var response = completion.AsChatResponse();
            return new OfflineBatchResult(customId, response.Text, response.Usage?.InputTokenCount, response.Usage?.OutputTokenCount, response.ModelId, null);
        }
        var error = (string?)item["error"]?["message"] ?? (string?)body?["error"]?["message"] ?? $"status {status?.ToString() ?? "unknown"}";
        var code = (string?)item["error"]?["code"] ?? (string?)body?["error"]?["code"];
        return new OfflineBatchResult(customId, null, null, null, null, code is null ? error : $"{code}: {error}");
    }

    private async Task<string> BatchLineAsync(OfflineBatchRequest request, CancellationToken cancellationToken) => new JsonObject
    {
        ["custom_id"] = request.CustomId,
        ["method"] = "POST",
        ["url"] = Route,
        ["body"] = await _bodies.BodyAsync(request.Messages, request.Options, cancellationToken).ConfigureAwait(false),
    }.ToJsonString();

    private async Task<SubmittedBatch> CreateBatchAsync(string file, IReadOnlyList<string> customIds, CancellationToken cancellationToken)
    {
        using var upload = new MemoryStream(Encoding.UTF8.GetBytes(file));
        var uploaded = await Call("uploading a batch file",
            () => _files.UploadFileAsync(upload, "distil-batch.jsonl", FileUploadPurpose.Batch, cancellationToken)).ConfigureAwait(false);
        var body = BinaryContent.Create(BinaryData.FromString(new JsonObject
        {
            ["input_file_id"] = uploaded.Value.Id,
            ["endpoint"] = Route,
            ["completion_window"] = Options.CompletionWindow,
        }.ToJsonString()));
        var operation = await Call("creating a batch",
            () => _batches.CreateBatchAsync(body, waitUntilCompleted: false, new RequestOptions { CancellationToken = cancellationToken })).ConfigureAwait(false);
        return new SubmittedBatch(operation.BatchId ?? throw new InvalidOperationException("The service created a batch but returned no batch id."), customIds);
    }

    // The service's refusal as an HttpRequestException with its status (what the batch step
    // retries on) and the service's own message, never the request, which carries the credential.
    private static async Task<T> Call<T>(string what, Func<Task<T>> call)
    {
        try
        {
            return await call().ConfigureAwait(false);
        }
        catch (ClientResultException error) when (error.Status > 0)
        {
            string? message = null;
            try { message = (string?)JsonNode.Parse(error.GetRawResponse()?.Content.ToString() ?? "")?["error"]?["message"]; } catch (JsonException) { }
            throw new HttpRequestException(ErrorText.Sentence($"The batch service refused {what}: {error.Status} {error.GetRawResponse()?.ReasonPhrase}{(message is null ? "" : ": " + message)}"),
                error, (HttpStatusCode)error.Status);
        }
    }
}
