using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.AI;

namespace Distil.OpenAI;

/// <summary>
/// The Batch API of OpenAI (and OpenAI-compatible servers) and Azure OpenAI over REST: requests
/// go up as JSONL files (purpose <c>batch</c>), split under the service's limits; batches are
/// created with a completion window, polled, and their output and error files read back.
/// </summary>
internal sealed class OpenAIBatchClient(OpenAIConnection connection, OfflineBatchOptions options, HttpClient http) : IOfflineBatchClient
{
    // The Azure OpenAI REST version with the Batch API.
    private const string AzureApiVersion = "2024-10-21";

    public OfflineBatchOptions Options { get; } = options;

    public string Describe() => $"the {connection.Kind} Batch API at {connection.Endpoint} (model {connection.Model})";

    public async Task SubmitAsync(IReadOnlyList<OfflineBatchRequest> requests, Action<SubmittedBatch> created, CancellationToken cancellationToken)
    {
        var file = new StringBuilder();
        var fileBytes = 0L;
        var ids = new List<string>();
        foreach (var request in requests)
        {
            var line = BatchLine(request);
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
        using var response = await http.SendAsync(Request(HttpMethod.Get, $"batches/{Uri.EscapeDataString(batchId)}"), cancellationToken).ConfigureAwait(false);
        var batch = await ReadJsonAsync(response, $"checking batch {batchId}", cancellationToken).ConfigureAwait(false);
        return new OfflineBatchState(batchId, (string?)batch["status"] ?? "unknown", (string?)batch["output_file_id"], (string?)batch["error_file_id"])
        {
            Error = (string?)batch["errors"]?["data"]?[0]?["message"],
        };
    }

    public async IAsyncEnumerable<OfflineBatchResult> ReadResultsAsync(string fileId, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        using var response = await http.SendAsync(Request(HttpMethod.Get, $"files/{Uri.EscapeDataString(fileId)}/content"), HttpCompletionOption.ResponseHeadersRead, cancellationToken)
            .ConfigureAwait(false);
        await EnsureSuccessAsync(response, $"reading batch file {fileId}", cancellationToken).ConfigureAwait(false);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false));
        while (await reader.ReadLineAsync(cancellationToken).ConfigureAwait(false) is { } line)
        {
            if (string.IsNullOrWhiteSpace(line)) continue;
            if (Result(line) is { } result) yield return result;
        }
    }

    // One line of the service's output or error file: an answer, or the reason there is none.
    private static OfflineBatchResult? Result(string line)
    {
        if (JsonNode.Parse(line) is not JsonObject item || (string?)item["custom_id"] is not { } customId) return null;
        var status = (int?)item["response"]?["status_code"];
        var body = item["response"]?["body"];
        if (status == 200 && body?["choices"]?[0]?["message"] is JsonObject message)
        {
            return new OfflineBatchResult(customId, (string?)message["content"] ?? "",
                (long?)body["usage"]?["prompt_tokens"], (long?)body["usage"]?["completion_tokens"], (string?)body["model"], null);
        }
        var error = (string?)item["error"]?["message"] ?? (string?)body?["error"]?["message"] ?? $"status {status?.ToString() ?? "unknown"}";
        var code = (string?)item["error"]?["code"] ?? (string?)body?["error"]?["code"];
        return new OfflineBatchResult(customId, null, null, null, null, code is null ? error : $"{code}: {error}");
    }

    private string BatchLine(OfflineBatchRequest request) => new JsonObject
    {
        ["custom_id"] = request.CustomId,
        ["method"] = "POST",
        ["url"] = connection.Kind == OpenAIConnection.Service.Azure ? "/chat/completions" : "/v1/chat/completions",
        ["body"] = ChatRequestBody.From(request.Messages, request.Options, connection.Model),
    }.ToJsonString();

    private async Task<SubmittedBatch> CreateBatchAsync(string file, IReadOnlyList<string> customIds, CancellationToken cancellationToken)
    {
        using var upload = new MultipartFormDataContent
        {
            { new StringContent("batch"), "purpose" },
        };
        var content = new ByteArrayContent(Encoding.UTF8.GetBytes(file));
        content.Headers.ContentType = new MediaTypeHeaderValue("application/jsonl");
        upload.Add(content, "file", "distil-batch.jsonl");
        var uploadRequest = Request(HttpMethod.Post, "files");
        uploadRequest.Content = upload;
        using var uploaded = await http.SendAsync(uploadRequest, cancellationToken).ConfigureAwait(false);
        var fileId = (string?)(await ReadJsonAsync(uploaded, "uploading a batch file", cancellationToken).ConfigureAwait(false))["id"]
            ?? throw new InvalidOperationException("The service accepted the batch file but returned no file id.");

        var create = Request(HttpMethod.Post, "batches");
        create.Content = new StringContent(new JsonObject
        {
            ["input_file_id"] = fileId,
            ["endpoint"] = connection.Kind == OpenAIConnection.Service.Azure ? "/chat/completions" : "/v1/chat/completions",
            ["completion_window"] = Options.CompletionWindow,
        }.ToJsonString(), System.Text.Encoding.UTF8, "application/json");
        using var created = await http.SendAsync(create, cancellationToken).ConfigureAwait(false);
        var batchId = (string?)(await ReadJsonAsync(created, "creating a batch", cancellationToken).ConfigureAwait(false))["id"]
            ?? throw new InvalidOperationException("The service created a batch but returned no batch id.");
        return new SubmittedBatch(batchId, customIds);
    }

    private HttpRequestMessage Request(HttpMethod method, string path)
    {
        HttpRequestMessage request;
        if (connection.Kind == OpenAIConnection.Service.Azure)
        {
            request = new HttpRequestMessage(method, new Uri(connection.Endpoint, $"openai/{path}?api-version={AzureApiVersion}"));
            request.Headers.Add("api-key", connection.ApiKey);
        }
        else
        {
            var baseUrl = connection.Endpoint.AbsoluteUri.EndsWith('/') ? connection.Endpoint : new Uri(connection.Endpoint.AbsoluteUri + "/");
            request = new HttpRequestMessage(method, new Uri(baseUrl, path));
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", connection.ApiKey);
        }
        return request;
    }

    private static async Task<JsonObject> ReadJsonAsync(HttpResponseMessage response, string what, CancellationToken cancellationToken)
    {
        await EnsureSuccessAsync(response, what, cancellationToken).ConfigureAwait(false);
        return JsonNode.Parse(await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false)) as JsonObject
            ?? throw new InvalidOperationException($"The batch service answered {what} with something that is not a JSON object.");
    }

    // The service's own message, never the request (which holds the key in its headers).
    private static async Task EnsureSuccessAsync(HttpResponseMessage response, string what, CancellationToken cancellationToken)
    {
        if (response.IsSuccessStatusCode) return;
        var body = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        string? message = null;
        try { message = (string?)JsonNode.Parse(body)?["error"]?["message"]; } catch (JsonException) { }
        throw new HttpRequestException($"The batch service refused {what}: {(int)response.StatusCode} {response.ReasonPhrase}{(message is null ? "" : ": " + message)}.", null, response.StatusCode);
    }
}
