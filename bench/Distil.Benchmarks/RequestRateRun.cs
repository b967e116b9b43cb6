using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;

namespace Distil.Benchmarks;

/// <summary>
/// The request rate <c>distil run</c> sustains at 64 calls in flight against a 50 ms service,
/// beside a minimal keep-alive client's (64 loops posting with one <see cref="HttpClient"/>),
/// with a fixed and with a lognormal latency. Not a BenchmarkDotNet job: each arm is a whole
/// <c>distil</c> process (its run store, answers file, output file, log), run as users run it.
/// </summary>
/// <remarks>
/// Both arms are measured by the fake server (own process) alike: the rate is the requests that
/// arrived in the arm's window over the time from the first arrival to the last, so neither the
/// process's start (JIT, opening the store) nor its end (writing the output) counts, only the rate
/// it keeps the service busy at. Arms alternate within a trial; the median of the trials is reported.
/// <code>
/// dotnet bench/Distil.Benchmarks/bin/Release/net10.0/Distil.Benchmarks.dll --request-rate \
///     src/Distil.Cli/bin/Release/net10.0/Distil.Cli.dll [label=path/to/other/Distil.Cli.dll ...] [--requests 6400] [--trials 3]
/// </code>
/// </remarks>
internal static class RequestRateRun
{
    public const string Argument = "--request-rate";
    private const int Concurrency = 64;
    private static readonly TimeSpan Latency = TimeSpan.FromMilliseconds(50);

    public static async Task RunAsync(IReadOnlyList<string> args)
    {
        var requests = 6400;
        var trials = 3;
        var clis = new List<(string Label, string Path)>();
        for (var i = 0; i < args.Count; i++)
        {
            switch (args[i])
            {
                case "--requests": requests = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--trials": trials = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                default:
                    var parts = args[i].Split('=', 2);
                    clis.Add(parts.Length == 2 ? (parts[0], Path.GetFullPath(parts[1])) : ("distil run", Path.GetFullPath(parts[0])));
                    break;
            }
        }
        if (clis.Count == 0) throw new ArgumentException("Give the path of Distil.Cli.dll (built in Release) to measure.");
        foreach (var (label, path) in clis)
        {
            if (!File.Exists(path)) throw new FileNotFoundException($"'{label}': no Distil.Cli.dll at '{path}'.", path);
        }

        var work = Directory.CreateTempSubdirectory("distil-request-rate-");
        try
        {
            var input = Path.Combine(work.FullName, "rows.jsonl");
            await File.WriteAllLinesAsync(input, Enumerable.Range(0, requests).Select(i => $"{{\"instruction\":\"Question {i}\"}}"));
            Console.WriteLine($"// {requests:N0} requests per arm, {Concurrency} in flight, {trials} trials; rate = arrivals over first-to-last arrival, at the server");
            foreach (var (shape, sigma) in new[] { ("fixed 50 ms", 0.0), ("lognormal, median 50 ms, sigma 0.5", 0.5) })
            {
                using var server = FakeServerProcess.Start(Latency, sigma);
                await MinimalClientAsync(server, Math.Min(requests, 1280)); // warm-up: connections, JIT of both processes
                server.Window();
                var rates = new Dictionary<string, List<double>>(StringComparer.Ordinal) { ["minimal client"] = [] };
                for (var trial = 0; trial < trials; trial++)
                {
                    await MinimalClientAsync(server, requests);
                    rates["minimal client"].Add(server.Window());
                    foreach (var (label, path) in clis)
                    {
                        await DistilRunAsync(path, server, input, work.FullName, trial);
                        rates.TryAdd(label, []);
                        rates[label].Add(server.Window());
                    }
                }
                server.Stop();
                var floor = Median(rates["minimal client"]);
                Console.WriteLine($"## {shape}");
                foreach (var (label, measured) in rates)
                {
                    Console.WriteLine(
                        $"{label,-28} median {Median(measured),7:N0}/s  = {Median(measured) / floor:0.000} of the minimal client   " +
                        $"trials: {string.Join(", ", measured.Select(r => r.ToString("N0", CultureInfo.InvariantCulture)))}");
                }
            }
        }
        finally
        {
            work.Delete(recursive: true);
        }
    }

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[sorted.Count / 2 - 1] + sorted[sorted.Count / 2]) / 2;
    }

    // The floor: 64 loops over one keep-alive HttpClient, posting a chat request and reading the body.
    private static async Task MinimalClientAsync(FakeServerProcess server, int requests)
    {
        using var http = new HttpClient { BaseAddress = server.BaseUrl };
        var next = -1;
        await Task.WhenAll(Enumerable.Range(0, Concurrency).Select(async _ =>
        {
            while (Interlocked.Increment(ref next) < requests)
            {
                using var response = await http.PostAsJsonAsync("chat/completions", new
                {
                    model = "fake-model",
                    messages = new[] { new { role = "user", content = "Question 1" } },
                });
                response.EnsureSuccessStatusCode();
                await response.Content.ReadAsByteArrayAsync();
            }
        }));
    }

    // `distil run` as a user runs it: a fresh run directory, the output written as JSONL, log lines (no terminal).
    private static async Task DistilRunAsync(string cli, FakeServerProcess server, string input, string work, int trial)
    {
        var runDirectory = Path.Combine(work, $"run-{Guid.NewGuid():N}");
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in new[]
        {
            cli, "run", "--task", "text_generation", "--input", input, "--output", Path.Combine(runDirectory, "out.jsonl"),
            "--model", $"endpoint:{server.BaseUrl}#fake-model", "--concurrency", Concurrency.ToString(CultureInfo.InvariantCulture), "--run-dir", runDirectory,
        })
        {
            start.ArgumentList.Add(argument);
        }
        using var process = Process.Start(start) ?? throw new InvalidOperationException("distil did not start.");
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"distil run (trial {trial + 1}) exited {process.ExitCode}:\n{await output}\n{await errors}");
        }
        Directory.Delete(runDirectory, recursive: true);
    }
}
