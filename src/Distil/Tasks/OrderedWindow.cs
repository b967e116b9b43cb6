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
    /// How many finished results may wait behind the oldest unfinished item for a task that keeps
    /// <paramref name="maxConcurrency"/> calls in flight: enough that one answer dozens of times
    /// slower than the median (a long lognormal tail) is overtaken by many rounds of fast ones
    /// before the work stalls behind it, bounded so that memory does not grow with the dataset
    /// (a few hundred rows per task; only their order waits).
    /// </summary>
    public static int CapacityFor(int maxConcurrency) => 16 * maxConcurrency + 64;

    /// <summary>
    /// Starts <paramref name="start"/> for each item of <paramref name="source"/> (with its 0-based
    /// index), at most <paramref name="maxRunning"/> at a time and while fewer than
    /// <paramref name="capacity"/> results wait, and yields the results in source order, each as
    /// soon as it and those before it are done. An item is read from the source only when it can
    /// start, so nothing is prepared ahead of the work. An item that fails ends the stream with its
    /// error once the items before it are out, and no item after it is started. When the stream
    /// ends early (an error, cancellation, or a consumer that stops reading), the work still
    /// running is cancelled and awaited before the enumeration ends.
    /// </summary>
    public static async IAsyncEnumerable<TResult> RunAsync<TItem, TResult>(
        IAsyncEnumerable<TItem> source,
        int capacity,
        int maxRunning,
        Func<TItem, long, CancellationToken, Task<TResult>> start,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(start);
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxRunning, 1);

        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        using var running = new SemaphoreSlim(maxRunning, maxRunning);
        var pending = new Queue<Task<TResult>>();
        var failed = new StrongBox<bool>();
        var items = source.GetAsyncEnumerator(stop.Token);
        Task? slot = null;
        Task<bool>? next = null;
        var ended = false;
        try
        {
            long index = 0;
            while (!ended || pending.Count > 0)
            {
                if (pending.Count > 0 && (pending.Peek().IsCompleted || pending.Count >= capacity || ended))
                {
                    yield return await pending.Dequeue().ConfigureAwait(false);
                    continue;
                }

                // The next item starts once a run slot is free and the source has it; meanwhile the
                // oldest result may finish and go out.
                slot ??= running.WaitAsync(stop.Token);
                if (slot.IsCompletedSuccessfully) next ??= items.MoveNextAsync().AsTask();
                var ready = next ?? slot;
                if (pending.Count > 0 && !ready.IsCompleted)
                {
                    await Task.WhenAny(ready, pending.Peek()).ConfigureAwait(false);
                    if (!ready.IsCompleted) continue;
                }
                await ready.ConfigureAwait(false);
                if (next is null) continue; // the slot came: now ask the source

                var hasItem = await next.ConfigureAwait(false);
                next = null;
                if (!hasItem)
                {
                    ended = true;
                    continue;
                }
                slot = null; // taken by this item, given back when it finishes
                var work = start(items.Current, index++, stop.Token);
                _ = work.ContinueWith(static (finished, state) =>
                {
                    var (slots, fault) = ((SemaphoreSlim, StrongBox<bool>))state!;
                    if (finished.IsFaulted) fault.Value = true;
                    slots.Release();
                }, (running, failed), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
                pending.Enqueue(work);
                // An item that failed ends the stream once the items before it are out: start no more.
                if (Volatile.Read(ref failed.Value)) ended = true;
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
            foreach (var waiting in new Task?[] { next, slot })
            {
                if (waiting is null) continue;
                try { await waiting.ConfigureAwait(false); }
                catch (Exception) { /* cancelled with the stream */ }
            }
            await items.DisposeAsync().ConfigureAwait(false);
        }
    }
}
