using Distil.Pipelines;

namespace Distil.View;

/// <summary>What the view's handlers share: the run directory, its index, the prices and the review labels.</summary>
internal sealed class ViewState(string runDirectory, ViewIndex index, PriceTable? prices) : IDisposable
{
    private readonly object _reviewLock = new();
    private RunReview? _review;

    public string RunDirectory { get; } = runDirectory;

    public ViewIndex Index { get; } = index;

    public PriceTable? Prices { get; } = prices;

    /// <summary>The port Kestrel listens on (the Host header a request must carry).</summary>
    public int Port { get; set; }

    /// <summary>Runs <paramref name="action"/> on the run's labels, one at a time; <c>review.db</c> is created on the first label.</summary>
    public T Review<T>(Func<RunReview, T> action)
    {
        lock (_reviewLock)
        {
            _review ??= RunReview.Open(RunDirectory);
            return action(_review);
        }
    }

    /// <summary>The labels of <paramref name="keys"/> of <paramref name="step"/>, without creating <c>review.db</c> when there is none.</summary>
    public Dictionary<string, ReviewLabel> Labels(string step, IEnumerable<string> keys)
    {
        lock (_reviewLock)
        {
            if (_review is null && !File.Exists(Path.Combine(RunDirectory, RunReview.FileName))) return [];
            _review ??= RunReview.Open(RunDirectory);
            var labels = new Dictionary<string, ReviewLabel>(StringComparer.Ordinal);
            foreach (var key in keys)
            {
                if (_review.Get(step, key) is { } label) labels[key] = label;
            }
            return labels;
        }
    }

    public void Dispose()
    {
        lock (_reviewLock) _review?.Dispose();
        Index.Dispose();
    }
}
