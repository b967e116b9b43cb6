using Microsoft.Extensions.AI;

namespace Distil;

/// <summary>
/// A provider's offline batch API (OpenAI's and Azure OpenAI's Batch API): requests are sent as
/// files, answered within a completion window at a lower price and outside the interactive rate
/// limits. A chat client made with <c>UseOfflineBatchGeneration()</c> (package Distil.OpenAI)
/// exposes one through <c>GetService</c>; a pipeline then runs the task as one global step that
/// submits, tracks and collects batches, resumably.
/// </summary>
public interface IOfflineBatchClient
{
    /// <summary>Limits and polling.</summary>
    OfflineBatchOptions Options { get; }

    /// <summary>The service and model the batches go to, without secrets (for messages and run signatures).</summary>
    string Describe();

    /// <summary>
    /// Uploads <paramref name="requests"/> and creates batches: as many as the service's limits on
    /// requests and bytes per file need. Each batch is passed to <paramref name="created"/> as soon
    /// as it exists, so that a failure on a later file does not lose the earlier ones' ids.
    /// </summary>
    Task SubmitAsync(IReadOnlyList<OfflineBatchRequest> requests, Action<SubmittedBatch> created, CancellationToken cancellationToken);

    /// <summary>The state of a batch.</summary>
    Task<OfflineBatchState> GetStateAsync(string batchId, CancellationToken cancellationToken);

    /// <summary>The answers (or errors) in a batch's output or error file.</summary>
    IAsyncEnumerable<OfflineBatchResult> ReadResultsAsync(string fileId, CancellationToken cancellationToken);
}

/// <summary>One request of a batch: its id within the batch and what an online call would send.</summary>
public sealed record OfflineBatchRequest(string CustomId, IReadOnlyList<ChatMessage> Messages, ChatOptions Options);

/// <summary>A batch the service accepted, and the custom ids of the requests in it.</summary>
public sealed record SubmittedBatch(string Id, IReadOnlyList<string> CustomIds);

/// <summary>Where a batch is: its status as the service says it, and its result files once it has them.</summary>
public sealed record OfflineBatchState(string Id, string Status, string? OutputFileId, string? ErrorFileId)
{
    /// <summary>The statuses after which a batch changes no more.</summary>
    public static readonly IReadOnlySet<string> FinalStatuses = new HashSet<string>(StringComparer.Ordinal) { "completed", "failed", "expired", "cancelled" };

    /// <summary>Why the service failed the whole batch (a file it could not validate), if it says.</summary>
    public string? Error { get; init; }

    /// <summary>True once the batch has reached a final status.</summary>
    public bool IsFinal => FinalStatuses.Contains(Status);
}

/// <summary>The answer to one request of a batch, or why there is none.</summary>
public sealed record OfflineBatchResult(string CustomId, string? Text, long? InputTokens, long? OutputTokens, string? ModelId, string? Error)
{
    /// <summary>
    /// False for failures that another batch would repeat (the service refused the batch file as a
    /// whole): the request is not sent again. Default true.
    /// </summary>
    public bool Retryable { get; init; } = true;

    /// <summary>True when the request was answered.</summary>
    public bool Succeeded => Error is null;
}

/// <summary>Limits of one batch file, and how often to poll.</summary>
public sealed class OfflineBatchOptions
{
    /// <summary>Requests per batch (OpenAI's limit: 50,000).</summary>
    public int MaxRequestsPerBatch { get; init; } = 50_000;

    /// <summary>Bytes per batch file (OpenAI's limit: 200 MB; the default leaves a margin).</summary>
    public long MaxBytesPerBatch { get; init; } = 190_000_000;

    /// <summary>The first wait between polls when waiting for batches (default 30 s); it doubles up to <see cref="MaxPollInterval"/>.</summary>
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>The longest wait between polls (default 5 min).</summary>
    public TimeSpan MaxPollInterval { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>How long the service may take (default and OpenAI's only value: <c>24h</c>).</summary>
    public string CompletionWindow { get; init; } = "24h";

    /// <summary>
    /// How many times a call to the batch service (a file upload, a batch creation, a status poll,
    /// a result download) is tried again after a transient fault: 429, 5xx, a timeout or a dropped
    /// connection (default 6). <c>Retry-After</c> is honoured.
    /// </summary>
    public int MaxRetries { get; init; } = 6;

    /// <summary>The wait before the first retry of a batch service call (default 2 s); it doubles, with jitter, up to <see cref="MaxPollInterval"/>.</summary>
    public TimeSpan RetryDelay { get; init; } = TimeSpan.FromSeconds(2);
}

/// <summary>A request of an offline batch came back without an answer (failed, expired, cancelled); the message is the service's.</summary>
public sealed class OfflineBatchException(string message) : Exception(message);
