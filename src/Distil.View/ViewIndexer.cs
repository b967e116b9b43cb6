using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;

namespace Distil.View;

/// <summary>Keeps the view's index up with the run: reads new commits every interval, on one background loop.</summary>
internal sealed class ViewIndexer(ViewIndex index, TimeSpan interval, ILogger? logger) : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private Task _loop = Task.CompletedTask;

    public void Start() => _loop = Task.Run(LoopAsync);

    /// <summary>Indexes now.</summary>
    public Task RefreshAsync(CancellationToken cancellationToken) => index.CatchUpAsync(cancellationToken);

    private async Task LoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            try
            {
                await index.CatchUpAsync(_stop.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (_stop.IsCancellationRequested)
            {
                return;
            }
            catch (Exception error) when (error is SqliteException or IOException or System.Text.Json.JsonException)
            {
                // A run that is starting (its store half created) or busy: the next round reads again.
                logger?.LogWarning(error, "distil view: indexing the run directory failed; trying again.");
            }
            try
            {
                await Task.Delay(interval, _stop.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        await _loop.ConfigureAwait(false);
        _stop.Dispose();
    }
}
