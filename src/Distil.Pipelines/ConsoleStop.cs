namespace Distil.Pipelines;

/// <summary>
/// Ctrl+C for pipeline runs: the first press stops gracefully (no new rows; rows in flight finish
/// and are committed), the second stops at once. Either way a later run resumes.
/// </summary>
/// <example>
/// <code>
/// using var stop = ConsoleStop.Install();
/// await pipeline.RunAsync(new PipelineRunOptions { GracefulStop = stop.Graceful }, stop.Immediate);
/// </code>
/// </example>
public sealed class ConsoleStop : IDisposable
{
    private readonly CancellationTokenSource _graceful = new();
    private readonly CancellationTokenSource _immediate = new();

    private ConsoleStop() => Console.CancelKeyPress += OnCancelKeyPress;

    /// <summary>Cancelled by the first Ctrl+C.</summary>
    public CancellationToken Graceful => _graceful.Token;

    /// <summary>Cancelled by the second Ctrl+C.</summary>
    public CancellationToken Immediate => _immediate.Token;

    /// <summary>Starts listening for Ctrl+C until disposed.</summary>
    public static ConsoleStop Install() => new();

    /// <summary>Stops listening.</summary>
    public void Dispose()
    {
        Console.CancelKeyPress -= OnCancelKeyPress;
        _graceful.Dispose();
        _immediate.Dispose();
    }

    private void OnCancelKeyPress(object? sender, ConsoleCancelEventArgs e)
    {
        // Keep the process alive: the run ends itself and commits what it finished.
        e.Cancel = true;
        if (!_graceful.IsCancellationRequested)
        {
            Console.Error.WriteLine("Stopping: finishing the rows in flight. Press Ctrl+C again to stop at once.");
            _graceful.Cancel();
        }
        else
        {
            _immediate.Cancel();
        }
    }
}
