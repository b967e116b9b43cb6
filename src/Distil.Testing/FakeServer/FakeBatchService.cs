using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;

namespace Distil.Testing;

/// <summary>
/// The Files and Batches API of <see cref="FakeOpenAIServer"/>: batch files are uploaded, batches
/// created, checked and read back as OpenAI's Batch API does. Each line of a batch is answered
/// with the server's <see cref="FakeOpenAIServer.Reply"/> when the batch finishes; what finishes,
/// expires or fails is up to <see cref="Outcome"/>.
/// </summary>
/// <remarks>
/// Routes (OpenAI, under <c>/v1</c>; Azure, under <c>/openai</c> with <c>api-version</c>):
/// <c>POST files</c>, <c>POST batches</c>, <c>GET batches/{id}</c>, <c>GET files/{id}/content</c>.
/// </remarks>
public sealed class FakeBatchService
{
    private readonly ConcurrentDictionary<string, string> _files = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, FakeBatch> _batches = new(StringComparer.Ordinal);
    private readonly Func<FakeRequest, FakeReply> _reply;
    private int _fileCount;
    private int _uploads;
    private int _batchCount;

    internal FakeBatchService(Func<FakeRequest, FakeReply> reply) => _reply = reply;

    /// <summary>Decides, at each check of an unfinished batch, how it stands (default: completed, every line answered).</summary>
    public Func<FakeBatch, FakeBatchOutcome> Outcome { get; set; } = _ => FakeBatchOutcome.Completed;

    /// <summary>
    /// Decides, for each call to the Files and Batches API, whether it fails with an HTTP status
    /// (a 503 during a poll, say) instead of being served; null lets it through (default: all).
    /// </summary>
    /// <example><code>var polls = 0; server.Batches.Faults = call => call == FakeBatchCall.Poll &amp;&amp; ++polls &lt;= 2 ? 503 : null;</code></example>
    public Func<FakeBatchCall, int?>? Faults { get; set; }

    /// <summary>Every batch created, in order.</summary>
    public IReadOnlyList<FakeBatch> Created => _batches.Values.OrderBy(b => b.Number).ToList();

    /// <summary>How many files were uploaded.</summary>
    public int FilesUploaded => Volatile.Read(ref _uploads);

    internal async Task UploadAsync(HttpContext context)
    {
        if (await FaultAsync(context, FakeBatchCall.Upload).ConfigureAwait(false)) return;
        var form = await context.Request.ReadFormAsync(context.RequestAborted).ConfigureAwait(false);
        if (form["purpose"] != "batch" || form.Files.GetFile("file") is not { } file)
        {
            await ErrorAsync(context, 400, "invalid_request_error", "A batch file upload needs purpose=batch and a file.").ConfigureAwait(false);
            return;
        }
        using var reader = new StreamReader(file.OpenReadStream(), Encoding.UTF8);
        Interlocked.Increment(ref _uploads);
        var id = $"file-{Interlocked.Increment(ref _fileCount)}";
        _files[id] = await reader.ReadToEndAsync(context.RequestAborted).ConfigureAwait(false);
        await JsonAsync(context, new JsonObject
        {
            ["id"] = id, ["object"] = "file", ["bytes"] = file.Length, ["created_at"] = DateTimeOffset.UtcNow.ToUnixTimeSeconds(),
            ["filename"] = file.FileName, ["purpose"] = "batch", ["status"] = "processed",
        }).ConfigureAwait(false);
    }

    internal async Task CreateAsync(HttpContext context)
    {
        if (await FaultAsync(context, FakeBatchCall.Create).ConfigureAwait(false)) return;
        var body = await JsonNode.ParseAsync(context.Request.Body, cancellationToken: context.RequestAborted).ConfigureAwait(false) as JsonObject;
        var fileId = (string?)body?["input_file_id"];
        if (fileId is null || !_files.TryGetValue(fileId, out var content) || (string?)body?["completion_window"] != "24h")
        {
            await ErrorAsync(context, 400, "invalid_request_error", "A batch needs an uploaded input_file_id and completion_window 24h.").ConfigureAwait(false);
            return;
        }
        var lines = content.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonNode.Parse(l)!.AsObject()).ToList();
        var number = Interlocked.Increment(ref _batchCount);
        var batch = new FakeBatch(number, $"batch_{number}", fileId, lines.Select(l => (string)l["custom_id"]!).ToList(), lines);
        _batches[batch.Id] = batch;
        await JsonAsync(context, State(batch)).ConfigureAwait(false);
    }

    internal async Task GetAsync(HttpContext context, string id)
    {
        if (await FaultAsync(context, FakeBatchCall.Poll).ConfigureAwait(false)) return;
        if (!_batches.TryGetValue(id, out var batch))
        {
            await ErrorAsync(context, 404, "not_found", $"No batch {id}.").ConfigureAwait(false);
            return;
        }
        lock (batch)
        {
            batch.Checks++;
            if (batch.Status is "validating" or "in_progress")
            {
                var outcome = Outcome(batch);
                if (outcome.Status is "validating" or "in_progress") batch.Status = "in_progress";
                else if (outcome.Error is not null)
                {
                    batch.Status = outcome.Status;
                    batch.Error = outcome.Error;
                }
                else Finish(batch, outcome);
            }
        }
        await JsonAsync(context, State(batch)).ConfigureAwait(false);
    }

    internal async Task ContentAsync(HttpContext context, string id)
    {
        if (await FaultAsync(context, FakeBatchCall.Download).ConfigureAwait(false)) return;
        if (!_files.TryGetValue(id, out var content))
        {
            await ErrorAsync(context, 404, "not_found", $"No file {id}.").ConfigureAwait(false);
            return;
        }
        context.Response.ContentType = "application/jsonl";
        await context.Response.WriteAsync(content, context.RequestAborted).ConfigureAwait(false);
    }

    // Answers the lines the outcome lets through with the server's reply rule; the others go to the error file.
    private void Finish(FakeBatch batch, FakeBatchOutcome outcome)
    {
        var output = new StringBuilder();
        var errors = new StringBuilder();
        for (var i = 0; i < batch.Lines.Count; i++)
        {
            var line = batch.Lines[i];
            var customId = batch.CustomIds[i];
            var body = line["body"]!.AsObject();
            if (outcome.Fail?.Invoke(customId) == true)
            {
                errors.Append(ErrorLine(customId, 500, "server_error", "The fake server failed this request.")).Append('\n');
            }
            else if (outcome.Answer?.Invoke(customId) == false)
            {
                errors.Append(new JsonObject { ["id"] = $"batch_req_{batch.Number}_{i}", ["custom_id"] = customId, ["response"] = null,
                    ["error"] = new JsonObject { ["code"] = "batch_expired", ["message"] = "This request could not be executed before the completion window expired." } }.ToJsonString()).Append('\n');
            }
            else if (_reply(new FakeRequest(i, (string)line["url"]!, body, true, TimeSpan.Zero)) is FakeReply.Answer answer)
            {
                var completion = JsonNode.Parse(FakeOpenAIServer.Completion(new FakeRequest(i, "", body, true, TimeSpan.Zero), answer.Text, null));
                output.Append(new JsonObject
                {
                    ["id"] = $"batch_req_{batch.Number}_{i}", ["custom_id"] = customId, ["error"] = null,
                    ["response"] = new JsonObject { ["status_code"] = 200, ["request_id"] = $"req_{batch.Number}_{i}", ["body"] = completion },
                }.ToJsonString()).Append('\n');
            }
            else
            {
                errors.Append(ErrorLine(customId, 500, "server_error", "The fake server's reply rule did not answer this request.")).Append('\n');
            }
        }
        batch.Status = outcome.Status;
        if (output.Length > 0) _files[batch.OutputFileId = $"file-{Interlocked.Increment(ref _fileCount)}"] = output.ToString();
        if (errors.Length > 0) _files[batch.ErrorFileId = $"file-{Interlocked.Increment(ref _fileCount)}"] = errors.ToString();
    }

    private static string ErrorLine(string customId, int status, string code, string message) => new JsonObject
    {
        ["id"] = $"batch_req_{customId}", ["custom_id"] = customId, ["error"] = null,
        ["response"] = new JsonObject { ["status_code"] = status, ["body"] = new JsonObject { ["error"] = new JsonObject { ["message"] = message, ["code"] = code } } },
    }.ToJsonString();

    private static JsonObject State(FakeBatch batch) => new()
    {
        ["id"] = batch.Id,
        ["object"] = "batch",
        ["endpoint"] = "/v1/chat/completions",
        ["input_file_id"] = batch.InputFileId,
        ["completion_window"] = "24h",
        ["status"] = batch.Status,
        ["output_file_id"] = batch.OutputFileId,
        ["error_file_id"] = batch.ErrorFileId,
        ["request_counts"] = new JsonObject { ["total"] = batch.CustomIds.Count },
        ["errors"] = batch.Error is null ? null : new JsonObject
        {
            ["object"] = "list",
            ["data"] = new JsonArray(new JsonObject { ["code"] = "invalid_request", ["message"] = batch.Error }),
        },
    };

    private static Task JsonAsync(HttpContext context, JsonObject body)
    {
        context.Response.ContentType = "application/json";
        return context.Response.WriteAsync(body.ToJsonString(), context.RequestAborted);
    }

    private async Task<bool> FaultAsync(HttpContext context, FakeBatchCall call)
    {
        if (Faults?.Invoke(call) is not { } status) return false;
        await ErrorAsync(context, status, "server_error", $"The fake batch service failed this {call.ToString().ToLowerInvariant()} on purpose ({status}).").ConfigureAwait(false);
        return true;
    }

    private static Task ErrorAsync(HttpContext context, int status, string code, string message)
    {
        context.Response.StatusCode = status;
        return JsonAsync(context, new JsonObject { ["error"] = new JsonObject { ["message"] = message, ["code"] = code } });
    }
}

/// <summary>A batch the fake service holds: its requests and where it is.</summary>
public sealed class FakeBatch(int number, string id, string inputFileId, IReadOnlyList<string> customIds, IReadOnlyList<JsonObject> lines)
{
    internal int Number { get; } = number;

    /// <summary>The batch id.</summary>
    public string Id { get; } = id;

    /// <summary>The uploaded file the batch reads.</summary>
    public string InputFileId { get; } = inputFileId;

    /// <summary>The custom ids of its requests, in file order.</summary>
    public IReadOnlyList<string> CustomIds { get; } = customIds;

    /// <summary>The request lines as uploaded (<c>custom_id</c>, <c>method</c>, <c>url</c>, <c>body</c>).</summary>
    public IReadOnlyList<JsonObject> Lines { get; } = lines;

    /// <summary>Its status: validating, in_progress, then completed, expired or failed.</summary>
    public string Status { get; internal set; } = "validating";

    /// <summary>How many times it was checked.</summary>
    public int Checks { get; internal set; }

    /// <summary>The answers' file, once finished.</summary>
    public string? OutputFileId { get; internal set; }

    /// <summary>The failures' file, once finished with failures.</summary>
    public string? ErrorFileId { get; internal set; }

    /// <summary>Why the whole batch failed, when it did (<see cref="FakeBatchOutcome.Refused"/>).</summary>
    public string? Error { get; internal set; }
}

/// <summary>How a fake batch stands when checked.</summary>
/// <param name="Status">in_progress (not finished yet), completed, expired or failed.</param>
/// <param name="Answer">Which requests are answered (default all); the others are reported as expired.</param>
/// <param name="Fail">Which requests fail with a server error (default none).</param>
/// <param name="Error">Set when the whole batch fails (its file refused), with the service's reason; no result files.</param>
public sealed record FakeBatchOutcome(string Status, Func<string, bool>? Answer = null, Func<string, bool>? Fail = null, string? Error = null)
{
    /// <summary>The service refused the batch as a whole (a file it could not validate), saying why.</summary>
    public static FakeBatchOutcome Refused(string reason) => new("failed", Error: reason);

    /// <summary>Finished, every request answered.</summary>
    public static FakeBatchOutcome Completed { get; } = new("completed");

    /// <summary>Not finished yet.</summary>
    public static FakeBatchOutcome InProgress { get; } = new("in_progress");

    /// <summary>The completion window ran out with only the requests <paramref name="answered"/> accepts done.</summary>
    public static FakeBatchOutcome Expired(Func<string, bool> answered) => new("expired", answered);

    /// <summary>Finished, with the requests <paramref name="failed"/> accepts failed.</summary>
    public static FakeBatchOutcome CompletedWithFailures(Func<string, bool> failed) => new("completed", Fail: failed);
}

/// <summary>A kind of call to the fake Files and Batches API, for <see cref="FakeBatchService.Faults"/>.</summary>
public enum FakeBatchCall
{
    /// <summary>A batch input file upload (POST /files).</summary>
    Upload,

    /// <summary>A batch creation (POST /batches).</summary>
    Create,

    /// <summary>A status poll (GET /batches/{id}).</summary>
    Poll,

    /// <summary>A result file download (GET /files/{id}/content).</summary>
    Download,
}
