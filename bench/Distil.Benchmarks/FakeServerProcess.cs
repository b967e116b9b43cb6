using System.Diagnostics;
using System.Globalization;
using Distil.Testing;

namespace Distil.Benchmarks;

/// <summary>
/// The fake LLM service in a process of its own, as a real service would be: its garbage
/// collections, thread pool and CPU bursts are not the client's. The child prints its base URL,
/// serves until its standard input closes, then prints its statistics.
/// </summary>
internal sealed class FakeServerProcess : IDisposable
{
    public const string Argument = "--fake-server";

    private readonly Process _process;

    private FakeServerProcess(Process process, Uri baseUrl)
    {
        _process = process;
        BaseUrl = baseUrl;
    }

    public Uri BaseUrl { get; }

    /// <summary>Starts the server; with <paramref name="sigma"/> above 0 the latency is lognormal with that median.</summary>
    public static FakeServerProcess Start(TimeSpan latency, double sigma = 0)
    {
        var program = typeof(FakeServerProcess).Assembly.Location;
        var start = new ProcessStartInfo(Environment.ProcessPath ?? "dotnet")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        // Started through the dotnet host when this process runs as `dotnet program.dll`.
        if (!Path.GetFileNameWithoutExtension(start.FileName).Equals(Path.GetFileNameWithoutExtension(program), StringComparison.OrdinalIgnoreCase))
        {
            start.ArgumentList.Add(program);
        }
        start.ArgumentList.Add(Argument);
        start.ArgumentList.Add(latency.TotalMilliseconds.ToString(CultureInfo.InvariantCulture));
        start.ArgumentList.Add(sigma.ToString(CultureInfo.InvariantCulture));
        var process = Process.Start(start) ?? throw new InvalidOperationException("The fake server process did not start.");
        var line = process.StandardOutput.ReadLine() ?? throw new InvalidOperationException("The fake server process exited before it listened.");
        return new FakeServerProcess(process, new Uri(line));
    }

    /// <summary>
    /// The request rate since the last window (or the start): the requests that arrived, over the
    /// time from the first arrival to the last. Starts the next window.
    /// </summary>
    public double Window()
    {
        _process.StandardInput.WriteLine(WindowCommand);
        _process.StandardInput.Flush();
        var line = _process.StandardOutput.ReadLine() ?? throw new InvalidOperationException("The fake server process exited.");
        return double.Parse(line, CultureInfo.InvariantCulture);
    }

    private const string WindowCommand = "window";

    /// <summary>Stops the server and returns the line of statistics it printed.</summary>
    public string Stop()
    {
        _process.StandardInput.Close();
        var statistics = _process.StandardOutput.ReadToEnd().Trim();
        _process.WaitForExit();
        return statistics;
    }

    public void Dispose()
    {
        if (!_process.HasExited) _process.Kill();
        _process.Dispose();
    }

    public static async Task ServeAsync(TimeSpan latency, double sigma)
    {
        await using var server = await FakeOpenAIServer.StartAsync();
        server.KeepRequestLog = false;
        var answer = FakeReplies.Answering(_ => "{\"echo\":\"x\"}");
        var reply = sigma > 0 ? answer.WithLognormalLatency(latency, sigma, seed: 11) : answer.WithLatency(latency);
        var arrivals = new ArrivalWindow();
        server.Reply = request =>
        {
            arrivals.Arrived();
            return reply(request);
        };
        Console.WriteLine(server.BaseUrl);
        while (await Console.In.ReadLineAsync() is { } command)
        {
            if (command == WindowCommand) Console.WriteLine(arrivals.Next().ToString("R", CultureInfo.InvariantCulture));
        }
        var cpu = Process.GetCurrentProcess().TotalProcessorTime;
        Console.WriteLine(
            $"server: {server.RequestCount} requests, mean reply lateness {server.MeanReplyLateness.TotalMilliseconds:0.00} ms, " +
            $"server CPU {cpu.TotalMilliseconds * 1000 / Math.Max(1, server.RequestCount):0} µs per request");
    }
}

/// <summary>Counts arrivals and times the first and the last of them, until the next window.</summary>
internal sealed class ArrivalWindow
{
    private readonly object _lock = new();
    private long _count;
    private long _first;
    private long _last;

    public void Arrived()
    {
        var now = Stopwatch.GetTimestamp();
        lock (_lock)
        {
            if (_count++ == 0) _first = now;
            _last = now;
        }
    }

    /// <summary>Arrivals per second in the window now closed (0 for fewer than two); opens the next.</summary>
    public double Next()
    {
        lock (_lock)
        {
            var rate = _count < 2 ? 0 : (_count - 1) / Stopwatch.GetElapsedTime(_first, _last).TotalSeconds;
            _count = 0;
            return rate;
        }
    }
}
