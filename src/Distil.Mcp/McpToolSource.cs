using System.Collections.Concurrent;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;
using ModelContextProtocol.Client;

namespace Distil.Mcp;

/// <summary>
/// A running MCP server and the tools it gives a task. <see cref="StartAsync(McpServerOptions, ILoggerFactory?, CancellationToken)"/>
/// starts the server (or connects to it over HTTP) and lists its tools; <see cref="DisposeAsync"/> stops it.
/// Each tool is an <see cref="AIFunction"/>: calling it calls the server.
/// </summary>
/// <remarks>
/// A server's tools run with the rights of the server's process, which a command starts with the rights
/// and the environment of this one: give a task only servers you would run yourself.
/// </remarks>
/// <example>
/// <code>
/// await using var everything = await McpToolSource.StartAsync("node server-everything/dist/index.js stdio", ["get-sum"]);
/// foreach (var tool in everything.Tools) task.Tools.Add(tool);
/// </code>
/// </example>
public sealed class McpToolSource : IAsyncDisposable
{
    // Enough of a server's standard error to explain why it stopped, not so much that a chatty server fills memory.
    private const int StandardErrorLinesKept = 20;

    private readonly McpClient _client;
    private int _disposed;

    private McpToolSource(McpServerOptions options, McpClient client, IReadOnlyList<AITool> tools)
    {
        Options = options;
        _client = client;
        Tools = tools;
    }

    /// <summary>The server as it was given.</summary>
    public McpServerOptions Options { get; }

    /// <summary>The name the server gave itself in the MCP handshake.</summary>
    public string ServerName => _client.ServerInfo?.Name ?? "";

    /// <summary>The server's tools (only those named by <see cref="McpServerOptions.ToolNames"/>, when given), in the server's order.</summary>
    public IReadOnlyList<AITool> Tools { get; }

    /// <summary>Starts a server from a command line, or connects to an http(s) URL, and lists its tools.</summary>
    /// <param name="commandLineOrUrl">A command line (<c>node index.js stdio</c>; quotes keep words with spaces whole) or a URL.</param>
    /// <param name="toolNames">The tools to keep; null keeps them all.</param>
    /// <param name="cancellationToken">Stops the start.</param>
    /// <exception cref="FormatException">The command line is empty or has an unclosed quote.</exception>
    /// <exception cref="McpServerException">The server could not be started or reached, or lacks a named tool.</exception>
    public static Task<McpToolSource> StartAsync(string commandLineOrUrl, IEnumerable<string>? toolNames = null, CancellationToken cancellationToken = default) =>
        StartAsync(McpServerOptions.Parse(commandLineOrUrl) with { ToolNames = toolNames?.ToArray() }, loggerFactory: null, cancellationToken);

    /// <summary>Starts the server (or connects to it), completes the MCP handshake, and lists its tools.</summary>
    /// <param name="options">The server and the tools to keep.</param>
    /// <param name="loggerFactory">Where the MCP client logs; none by default.</param>
    /// <param name="cancellationToken">Stops the start.</param>
    /// <exception cref="McpServerException">The server could not be started or reached, or lacks a named tool.</exception>
    public static async Task<McpToolSource> StartAsync(McpServerOptions options, ILoggerFactory? loggerFactory = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        if ((options.Command is null) == (options.Url is null)) throw new ArgumentException("An MCP server has either a Command or a Url.", nameof(options));
        var standardError = new ConcurrentQueue<string>();
        var transport = options.Url is not null ? HttpTransport(options, loggerFactory) : StdioTransport(options, standardError, loggerFactory);
        var client = await ConnectAsync(options, transport, standardError, loggerFactory, cancellationToken).ConfigureAwait(false);
        try
        {
            var listed = await ListToolsAsync(options, client, cancellationToken).ConfigureAwait(false);
            return new McpToolSource(options, client, Select(options, client.ServerInfo?.Name ?? "unnamed", listed));
        }
        catch
        {
            await client.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    private static async Task<IList<McpClientTool>> ListToolsAsync(McpServerOptions options, McpClient client, CancellationToken cancellationToken)
    {
        try
        {
            return await client.ListToolsAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch (Exception error) when (error is not McpServerException && !cancellationToken.IsCancellationRequested)
        {
            throw new McpServerException($"MCP server '{options}' started but could not list its tools: {OneLine(error.Message)}.", error);
        }
    }

    private static IClientTransport HttpTransport(McpServerOptions options, ILoggerFactory? loggerFactory) =>
        new HttpClientTransport(new HttpClientTransportOptions { Endpoint = options.Url!, Name = options.Url!.ToString(), ConnectionTimeout = options.StartTimeout }, loggerFactory);

    private static IClientTransport StdioTransport(McpServerOptions options, ConcurrentQueue<string> standardError, ILoggerFactory? loggerFactory)
    {
        var program = ExecutableLookup.Find(options.Command!, options.WorkingDirectory)
            ?? throw new McpServerException(
                $"MCP server '{options}': the command '{options.Command}' was not found " +
                (ExecutableLookup.HasDirectory(options.Command!) ? "(no such file)." : "on PATH. Install it, or give its full path."));
        return new StdioClientTransport(
            new StdioClientTransportOptions
            {
                Command = program,
                Arguments = options.Arguments.ToList(),
                Name = options.ToString(),
                WorkingDirectory = options.WorkingDirectory,
                StandardErrorLines = line =>
                {
                    standardError.Enqueue(line);
                    while (standardError.Count > StandardErrorLinesKept) standardError.TryDequeue(out _);
                },
            },
            loggerFactory);
    }

    private static async Task<McpClient> ConnectAsync(
        McpServerOptions options, IClientTransport transport, ConcurrentQueue<string> standardError, ILoggerFactory? loggerFactory, CancellationToken cancellationToken)
    {
        try
        {
            return await McpClient.CreateAsync(
                transport,
                new McpClientOptions { ClientInfo = new() { Name = "distil", Version = typeof(McpToolSource).Assembly.GetName().Version?.ToString() ?? "0" }, InitializationTimeout = options.StartTimeout },
                loggerFactory,
                cancellationToken).ConfigureAwait(false);
        }
        catch (Exception error) when (!cancellationToken.IsCancellationRequested)
        {
            throw new McpServerException(await StartFailureAsync(options, error, standardError).ConfigureAwait(false), error);
        }
    }

    private static async Task<string> StartFailureAsync(McpServerOptions options, Exception error, ConcurrentQueue<string> standardError)
    {
        if (options.Url is not null)
        {
            return $"MCP server at {options.Url} could not be reached or did not answer the MCP handshake: {OneLine(error.Message)}";
        }
        // The server's last words arrive on their own stream, possibly just after the pipe closed.
        if (standardError.IsEmpty) await Task.Delay(TimeSpan.FromMilliseconds(300)).ConfigureAwait(false);
        var tail = standardError.ToArray();
        var reason = OneLine(error.Message);
        // The MCP client may quote the end of standard error itself; it is said once.
        var said = tail.Length == 0 ? " It wrote nothing on standard error."
            : tail.All(line => reason.Contains(line.Trim(), StringComparison.Ordinal)) ? ""
            : $" Its standard error ended with:{Environment.NewLine}  {string.Join(Environment.NewLine + "  ", tail)}";
        return $"MCP server '{options}' did not start (it exited, or did not answer the MCP handshake within {options.StartTimeout.TotalSeconds:0.#} s): {reason}.{said}";
    }

    // Rule: a tool named in the filter that the server does not list is an error, never a silently missing tool.
    private static IReadOnlyList<AITool> Select(McpServerOptions options, string serverName, IList<McpClientTool> listed)
    {
        if (options.ToolNames is null) return listed.ToArray<AITool>();
        var missing = options.ToolNames.Where(name => !listed.Any(tool => tool.Name == name)).ToList();
        if (missing.Count > 0)
        {
            var has = listed.Count == 0 ? "it lists no tool" : $"its tools: {string.Join(", ", listed.Select(t => t.Name))}";
            throw new McpServerException(
                $"MCP server '{options}' ({serverName}) has no tool {string.Join(", ", missing.Select(n => $"'{n}'"))}; {has}.");
        }
        return listed.Where(tool => options.ToolNames.Contains(tool.Name)).ToArray<AITool>();
    }

    private static string OneLine(string text) => text.ReplaceLineEndings(" ").Trim().TrimEnd('.');

    /// <summary>Ends the MCP session and stops a server this source started.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1) return;
        await _client.DisposeAsync().ConfigureAwait(false);
    }
}
