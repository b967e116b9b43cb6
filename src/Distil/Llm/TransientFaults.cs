using System.ClientModel;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Polly.Timeout;

namespace Distil;

/// <summary>
/// Tells failures worth retrying (rate limits, server errors, timeouts, broken connections and
/// garbled bodies) from those that will fail again (a bad request, a wrong key), and reads how
/// long the service asked to be left alone.
/// </summary>
public static class TransientFaults
{
    /// <summary>Whether <paramref name="error"/> is likely to pass on a later attempt.</summary>
    public static bool IsTransient(Exception error) => error switch
    {
        ClientResultException { Status: 0 } => true, // no response at all
        ClientResultException result => IsTransientStatus(result.Status),
        HttpRequestException { StatusCode: { } status } => IsTransientStatus((int)status),
        HttpRequestException or IOException or SocketException => true,
        TimeoutRejectedException or TimeoutException => true,
        // A client's own HTTP timeout; a cancelled run is told apart by its token, not here.
        OperationCanceledException => true,
        // A body cut off or garbled on the way: the next answer is usually whole.
        JsonException or FormatException => true,
        _ when error.InnerException is { } inner => IsTransient(inner),
        _ => false,
    };

    /// <summary>
    /// Polly retry settings for calls that may fail transiently: exponential backoff with jitter
    /// from <paramref name="delay"/> up to <paramref name="maxDelay"/>, <c>Retry-After</c> honoured,
    /// only faults <see cref="IsTransient"/> accepts, never a cancelled call's.
    /// </summary>
    internal static Polly.Retry.RetryStrategyOptions RetryOptions(
        int maxRetries, TimeSpan delay, TimeSpan maxDelay, Func<Polly.Retry.OnRetryArguments<object>, ValueTask> onRetry,
        Func<Exception, int, TimeSpan?>? refusalDelay = null) => new()
    {
        MaxRetryAttempts = maxRetries,
        BackoffType = Polly.DelayBackoffType.Exponential,
        UseJitter = true,
        Delay = delay,
        MaxDelay = maxDelay,
        // A cancelled run is not a transient failure, whatever exception it surfaced as.
        ShouldHandle = args => ValueTask.FromResult(
            args.Outcome.Exception is { } error
            && !args.Context.CancellationToken.IsCancellationRequested
            && IsTransient(error)),
        DelayGenerator = args => ValueTask.FromResult(args.Outcome.Exception is { } error
            ? RetryAfter(error) ?? (refusalDelay is not null && IsRefusal(error) ? refusalDelay(error, args.AttemptNumber) : null)
            : null),
        OnRetry = onRetry,
    };

    /// <summary>
    /// Whether <paramref name="error"/> says the service is at capacity: HTTP 429 or 503, or an
    /// attempt that timed out. Adaptive concurrency cuts its limit on these.
    /// </summary>
    public static bool IsRefusal(Exception error) => error switch
    {
        ClientResultException result => result.Status is 429 or 503,
        HttpRequestException { StatusCode: { } status } => (int)status is 429 or 503,
        TimeoutRejectedException or TimeoutException => true,
        _ when error.InnerException is { } inner => IsRefusal(inner),
        _ => false,
    };

    /// <summary>Whether an HTTP status is worth retrying: 408, 409, 429 and every 5xx.</summary>
    public static bool IsTransientStatus(int status) => status is 408 or 409 or 429 or >= 500;

    /// <summary>
    /// How long the service asked to wait, from the <c>retry-after-ms</c> or <c>Retry-After</c>
    /// header (seconds or an HTTP date) of a failed response; null when it did not say.
    /// </summary>
    public static TimeSpan? RetryAfter(Exception error)
    {
        for (var current = error; current is not null; current = current.InnerException)
        {
            if (current is ClientResultException result && result.GetRawResponse() is { } response)
            {
                if (response.Headers.TryGetValue("retry-after-ms", out var milliseconds)
                    && double.TryParse(milliseconds, NumberStyles.Float, CultureInfo.InvariantCulture, out var ms) && ms >= 0)
                {
                    return TimeSpan.FromMilliseconds(ms);
                }
                if (response.Headers.TryGetValue("Retry-After", out var value)) return ParseRetryAfter(value);
            }
        }
        return null;
    }

    /// <summary>Reads a <c>Retry-After</c> value: delay-seconds or an HTTP date.</summary>
    public static TimeSpan? ParseRetryAfter(string? value)
    {
        if (string.IsNullOrWhiteSpace(value)) return null;
        if (double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds))
        {
            return seconds >= 0 ? TimeSpan.FromSeconds(seconds) : null;
        }
        if (DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var date))
        {
            var wait = date - DateTimeOffset.UtcNow;
            return wait > TimeSpan.Zero ? wait : TimeSpan.Zero;
        }
        return null;
    }

    /// <summary>A short reason for logs: the HTTP status, or the kind of failure. Never a header or a key.</summary>
    public static string Describe(Exception error) => error switch
    {
        ClientResultException { Status: > 0 } result => $"HTTP {result.Status} {ReasonPhrase(result.Status)}".TrimEnd(),
        HttpRequestException { StatusCode: { } status } => $"HTTP {(int)status} {status}",
        HttpRequestException or IOException or SocketException => "connection error",
        TimeoutRejectedException => "attempt timed out",
        OperationCanceledException or TimeoutException => "timed out",
        JsonException or FormatException => "malformed response",
        _ when error.InnerException is { } inner && IsTransient(inner) => Describe(inner),
        _ => error.GetType().Name,
    };

    private static string ReasonPhrase(int status) =>
        Enum.IsDefined(typeof(HttpStatusCode), status) ? ((HttpStatusCode)status).ToString() : "";
}
