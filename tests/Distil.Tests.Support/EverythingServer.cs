using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using NUnit.Framework;

namespace Distil.Tests.Support;

/// <summary>
/// The MCP reference server "everything" from npm (tests/mcp-servers, pinned in its package-lock.json),
/// started over stdio with node: a real MCP server no one here wrote. Its <c>get-sum</c> answers
/// "The sum of 17 and 25 is 42.".
/// </summary>
public static class EverythingServer
{
    /// <summary>The server's entry point, or a failed test saying how to install it (never a skip: CI installs it).</summary>
    public static string Script
    {
        get
        {
            var folder = Path.Combine(RepositoryRoot(), "tests", "mcp-servers");
            var script = Path.Combine(folder, "node_modules", "@modelcontextprotocol", "server-everything", "dist", "index.js");
            if (!File.Exists(script))
            {
                Assert.Fail($"The MCP server the tests use is not installed: {script} is missing. Run 'npm ci' in {folder} (.ci/run does it when node_modules is missing).");
            }
            return script;
        }
    }

    /// <summary>The command line that starts the server over stdio, quoted for <c>McpServerOptions.Parse</c> and <c>--mcp</c>.</summary>
    public static string CommandLine => $"node \"{Script}\" stdio";

    /// <summary>
    /// Starts the server over Streamable HTTP on a free port of 127.0.0.1 and waits until it listens;
    /// kill the process (with its tree) when done. Its MCP endpoint is <c>/mcp</c>.
    /// </summary>
    public static async Task<(Process Server, Uri Url)> StartHttpAsync()
    {
        var port = FreePort();
        var start = new ProcessStartInfo("node") { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        start.ArgumentList.Add(Script);
        start.ArgumentList.Add("streamableHttp");
        start.Environment["PORT"] = port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var server = Process.Start(start)!;
        server.OutputDataReceived += (_, _) => { };
        server.ErrorDataReceived += (_, _) => { };
        server.BeginOutputReadLine();
        server.BeginErrorReadLine();
        var clock = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                using var client = new TcpClient();
                await client.ConnectAsync(IPAddress.Loopback, port);
                return (server, new Uri($"http://127.0.0.1:{port}/mcp"));
            }
            catch (SocketException) when (clock.Elapsed < TimeSpan.FromSeconds(20) && !server.HasExited)
            {
                await Task.Delay(100);
            }
        }
    }

    /// <summary>A port of 127.0.0.1 that nothing listens on (free when asked).</summary>
    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>
    /// The server started through tests/mcp-servers/log-tool-calls.js, which appends each <c>tools/call</c>
    /// request to <paramref name="callLog"/>: the tool calls a run made, counted at the server.
    /// </summary>
    public static string CommandLineLoggingCalls(string callLog) =>
        $"node \"{Path.Combine(Path.GetDirectoryName(Script)!, "..", "..", "..", "..", "log-tool-calls.js")}\" \"{callLog}\" \"{Script}\" stdio";

    /// <summary>The <c>tools/call</c> requests logged at <paramref name="callLog"/> (none when it was never written).</summary>
    public static IReadOnlyList<string> LoggedCalls(string callLog) => File.Exists(callLog) ? File.ReadAllLines(callLog) : [];

    /// <summary>The ids of the machine's processes whose command line holds <paramref name="marker"/> (Linux: /proc).</summary>
    public static List<int> ProcessesWith(string marker) =>
        Directory.EnumerateDirectories("/proc")
            .Select(d => (Id: int.TryParse(Path.GetFileName(d), out var id) ? id : -1, Dir: d))
            .Where(p => p.Id > 0 && ReadCommandLine(p.Dir).Contains(marker, StringComparison.Ordinal))
            .Select(p => p.Id).ToList();

    private static string ReadCommandLine(string processDirectory)
    {
        try
        {
            return File.ReadAllText(Path.Combine(processDirectory, "cmdline"));
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException)
        {
            return ""; // the process ended meanwhile, or is not ours to read
        }
    }

    private static string RepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Distil.Generated.sln"))) return directory.FullName;
        }
        throw new InvalidOperationException("The repository root (Distil.Generated.sln) was not found above the test directory.");
    }
}
