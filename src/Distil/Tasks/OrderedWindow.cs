using System.Runtime.CompilerServices;

namespace Distil;

/// <summary>
/// Runs work for the items of a stream ahead of the slowest one and hands the results back in the
/// stream's order: one slow item does not keep the others (and the LLM) waiting, and what comes
/// out is ordered as what went in. The one ordering point of a task run, in <c>ProcessAsync</c>
/// and in a pipeline's task step alike.
/// </summary>
internal static class OrderedWindow
{
    /// <summary>
    /// How many items may be started ahead of the oldest unfinished one for a task that keeps
    /// <paramref name="maxConcurrency"/> calls in flight: enough that one answer dozens of times
    /// slower than the median (a long lognormal tail) is overtaken by many rounds of fast ones
    /// before the slots stall behind it, bounded so that memory does not grow with the dataset
    /// (a few hundred rows per task; finished rows are already committed, only their order waits).
    /// </summary>
    public static int CapacityFor(int maxConcurrency) => 16 * maxConcurrency + 64;

    /// <summary>
    /// Starts <paramref name="start"/> for each item of <paramref name="source"/> (with its 0-based
    /// index) while fewer than <paramref name="capacity"/> results wait, and yields the results in
    /// source order, each as soon as it and those before it are done. An item that fails ends the
    /// stream with its error once the items before it are out, and no item after it is started.
    /// When the stream ends early (an error, cancellation, or a consumer that stops reading), the
    /// work still running is cancelled and awaited before the enumeration ends.
    /// </summary>
    public static async IAsyncEnumerable<TResult> RunAsync<TItem, TResult>(
        IAsyncEnumerable<TItem> source,
        int capacity,
        Func<TItem, long, CancellationToken, Task<TResult>> start,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(start);
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);

        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var pending = new Queue<Task<TResult>>();
        var failedBox = new StrongBox<int>();
        var items = source.GetAsyncEnumerator(stop.Token);
        Task<bool>? next = null;
        try
        {
            next = items.MoveNextAsync().AsTask();
            long index = 0;
            while (next is not null || pending.Count > 0)
            {
                if (pending.Count > 0 && (pending.Peek().IsCompleted || pending.Count >= capacity || next is null))
                {
                    yield return await pending.Dequeue().ConfigureAwait(false);
                    continue;
                }

                // Wait for the next item or the oldest result, whichever comes first.
                if (pending.Count > 0)
                {
                    await Task.WhenAny(next!, pending.Peek()).ConfigureAwait(false);
                    if (!next!.IsCompleted) continue;
                }
                if (!await next!.ConfigureAwait(false))
                {
                    next = null;
                    continue;
                }
                var work = start(items.Current, index++, stop.Token);
                _ = work.ContinueWith(static (_, state) => Interlocked.Exchange(ref ((StrongBox<int>)state!).Value, 1), failedBox,
                    CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
                pending.Enqueue(work);
                // An item that failed ends the stream once the items before it are out: start no more.
                next = Volatile.Read(ref failedBox.Value) == 1 ? null : items.MoveNextAsync().AsTask();
            }
        }
        finally
        {
            stop.Cancel();
            foreach (var abandoned in pending)
            {
                try { await abandoned.ConfigureAwait(false); }
                catch (Exception) { /* ended with the stream; the error that ended it is the one reported */ }
            }
            if (next is not null)
            {
                try { await next.ConfigureAwait(false); }
                catch (Exception) { /* the source was cancelled with the stream */ }
            }
            await items.DisposeAsync().ConfigureAwait(false);
        }
    }
}
