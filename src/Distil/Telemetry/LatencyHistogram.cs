using System.Text.Json.Nodes;

namespace Distil;

/// <summary>
/// Call durations in log-scale buckets (1 ms up to about 50 minutes, each bucket 25 % wider than
/// the last): constant memory however many calls a run makes, percentiles within one bucket's
/// width, and histograms of several runs add up. Thread-safe.
/// </summary>
public sealed class LatencyHistogram
{
    private const double Growth = 1.25;
    private const int BucketCount = 68; // 1.25^67 ms ≈ 50 min

    private readonly long[] _counts = new long[BucketCount];

    /// <summary>How many durations were recorded.</summary>
    public long Count => _counts.Sum(c => Interlocked.Read(ref c));

    /// <summary>Counts one call of <paramref name="duration"/>.</summary>
    public void Record(TimeSpan duration) => Interlocked.Increment(ref _counts[Bucket(duration.TotalMilliseconds)]);

    /// <summary>Adds another histogram's counts.</summary>
    public void Add(LatencyHistogram other)
    {
        for (var i = 0; i < BucketCount; i++) Interlocked.Add(ref _counts[i], Interlocked.Read(ref other._counts[i]));
    }

    /// <summary>The duration below which <paramref name="quantile"/> of the calls ended (the upper edge of its bucket); null with no calls.</summary>
    public TimeSpan? Percentile(double quantile)
    {
        var counts = _counts.Select(c => Interlocked.Read(ref c)).ToArray();
        var total = counts.Sum();
        if (total == 0) return null;
        var rank = (long)Math.Ceiling(quantile * total);
        long seen = 0;
        for (var i = 0; i < BucketCount; i++)
        {
            seen += counts[i];
            if (seen >= Math.Max(rank, 1)) return TimeSpan.FromMilliseconds(UpperEdge(i));
        }
        return TimeSpan.FromMilliseconds(UpperEdge(BucketCount - 1));
    }

    /// <summary>The counts as a JSON array, trailing empty buckets left out.</summary>
    public JsonArray ToJson()
    {
        var counts = _counts.Select(c => Interlocked.Read(ref c)).ToArray();
        var last = Array.FindLastIndex(counts, c => c > 0);
        return new JsonArray(counts.Take(last + 1).Select(c => (JsonNode)c).ToArray());
    }

    /// <summary>A histogram from the counts <see cref="ToJson"/> wrote (anything else reads as empty).</summary>
    public static LatencyHistogram FromJson(JsonNode? json)
    {
        var histogram = new LatencyHistogram();
        if (json is JsonArray counts)
        {
            for (var i = 0; i < Math.Min(counts.Count, BucketCount); i++) histogram._counts[i] = (long?)counts[i] ?? 0;
        }
        return histogram;
    }

    // Bucket 0 holds everything under 1 ms; bucket i ≥ 1 holds [1.25^(i-1), 1.25^i) ms.
    private static int Bucket(double milliseconds) =>
        milliseconds < 1 ? 0 : Math.Min(BucketCount - 1, 1 + (int)Math.Floor(Math.Log(milliseconds) / Math.Log(Growth)));

    private static double UpperEdge(int bucket) => Math.Pow(Growth, bucket);
}
