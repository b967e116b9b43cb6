using System.Net;
using Distil.Pipelines;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Distil.View;

/// <summary>
/// The live view of a run directory: a page on 127.0.0.1 that shows the run as it goes (the pipeline's progress, calls,
/// tokens and cost, the rows as they are committed) and after, and lets a person review the rows (labels are saved in
/// the run directory's <c>review.db</c> by <see cref="RunReview"/>). Rows are paged on the server from an index file
/// beside the run store (<c>view-index.db</c>), built as rows are committed; the run store is only read.
/// </summary>
/// <example>
/// <code>
/// await using var view = await RunView.StartAsync(".distil/my_pipeline", new RunViewOptions { Port = 5180 });
/// Console.WriteLine($"Open {view.Address}");
/// await view.WaitAsync(cancellationToken);
/// </code>
/// </example>
public sealed class RunView : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ViewIndexer _indexer;
    private readonly ViewState _state;

    private RunView(WebApplication app, ViewIndexer indexer, ViewState state, Uri address)
    {
        _app = app;
        _indexer = indexer;
        _state = state;
        Address = address;
    }

    /// <summary>The page's address (<c>http://127.0.0.1:PORT/</c>).</summary>
    public Uri Address { get; }

    /// <summary>The run directory shown.</summary>
    public string RunDirectory => _state.RunDirectory;

    /// <summary>Starts the view of <paramref name="runDirectory"/> (which need not hold a run yet: the page waits for one).</summary>
    /// <exception cref="DirectoryNotFoundException">The run directory does not exist.</exception>
    /// <exception cref="IOException">The port is taken.</exception>
    public static async Task<RunView> StartAsync(string runDirectory, RunViewOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(runDirectory);
        options ??= new RunViewOptions();
        ArgumentOutOfRangeException.ThrowIfNegative(options.Port);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(options.Port, IPEndPoint.MaxPort);
        var directory = Path.GetFullPath(runDirectory);
        if (!Directory.Exists(directory)) throw new DirectoryNotFoundException($"The run directory '{directory}' does not exist.");

        var index = ViewIndex.Open(directory, options.IndexPath);
        var state = new ViewState(directory, index, options.Prices);
        var indexer = new ViewIndexer(index, options.RefreshInterval, options.LoggerFactory?.CreateLogger<RunView>());
        WebApplication? app = null;
        try
        {
            var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ContentRootPath = AppContext.BaseDirectory });
            builder.Logging.ClearProviders();
            if (options.LoggerFactory is { } loggers) builder.Services.AddSingleton(loggers);
            // The view never takes the process's Ctrl+C: its owner stops it.
            builder.Services.AddSingleton<IHostLifetime, OwnedLifetime>();
            // Rule: 127.0.0.1 only. The page and its API are for the person at this machine.
            builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, options.Port));
            app = builder.Build();
            ViewApi.Map(app, state);
            await app.StartAsync(cancellationToken).ConfigureAwait(false);
            var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()
                ?? throw new InvalidOperationException("Kestrel did not report the address it listens on.");
            var address = new Uri(addresses.Addresses.First().TrimEnd('/') + "/");
            state.Port = address.Port;
            indexer.Start();
            return new RunView(app, indexer, state, address);
        }
        catch
        {
            if (app is not null) await app.DisposeAsync().ConfigureAwait(false);
            await indexer.DisposeAsync().ConfigureAwait(false);
            state.Dispose();
            throw;
        }
    }

    /// <summary>Indexes what the run committed since the last refresh now, instead of at the next interval.</summary>
    public Task RefreshAsync(CancellationToken cancellationToken = default) => _indexer.RefreshAsync(cancellationToken);

    /// <summary>Waits until <paramref name="cancellationToken"/> is cancelled (Ctrl+C in <c>distil view</c>).</summary>
    public async Task WaitAsync(CancellationToken cancellationToken)
    {
        try
        {
            await Task.Delay(Timeout.Infinite, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }

    /// <summary>Stops the page and the indexing; labels are already saved.</summary>
    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync().ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
        await _indexer.DisposeAsync().ConfigureAwait(false);
        _state.Dispose();
    }

    // A lifetime that leaves the process's signals alone.
    private sealed class OwnedLifetime : IHostLifetime
    {
        public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}

/// <summary>How <see cref="RunView"/> serves a run directory.</summary>
public sealed class RunViewOptions
{
    /// <summary>The port on 127.0.0.1; 0 (the default) takes a free one.</summary>
    public int Port { get; init; }

    /// <summary>Prices per model, to show what the run cost so far; null shows tokens only.</summary>
    public PriceTable? Prices { get; init; }

    /// <summary>How often the index reads what the run committed (default one second).</summary>
    public TimeSpan RefreshInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Where the row index is kept; null: <c>view-index.db</c> in the run directory.</summary>
    public string? IndexPath { get; init; }

    /// <summary>Where the view logs (indexing errors); null logs nothing.</summary>
    public ILoggerFactory? LoggerFactory { get; init; }
}
