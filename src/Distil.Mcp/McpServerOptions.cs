namespace Distil.Mcp;

/// <summary>
/// Where an MCP server is and which of its tools a task gets: a command that starts the server
/// (spoken to over its standard input and output) or the URL of a server that already runs (HTTP).
/// </summary>
/// <example>
/// <code>
/// var everything = McpServerOptions.Parse("node server-everything/dist/index.js stdio") with { ToolNames = ["get-sum"] };
/// var remote = McpServerOptions.Parse("http://127.0.0.1:3001/mcp");
/// </code>
/// </example>
public sealed record McpServerOptions
{
    /// <summary>The program that starts the server (a path, or a name looked up on <c>PATH</c>); null for an HTTP server.</summary>
    public string? Command { get; init; }

    /// <summary>The arguments given to <see cref="Command"/>, each as one argument (no shell splits them again).</summary>
    public IReadOnlyList<string> Arguments { get; init; } = [];

    /// <summary>The URL of an HTTP server (Streamable HTTP, or SSE for older servers); null for a command.</summary>
    public Uri? Url { get; init; }

    /// <summary>
    /// The names of the tools to give the task; null gives every tool the server lists. A name the server
    /// does not list is an error when the server starts, so that a typo is not a silently missing tool.
    /// </summary>
    public IReadOnlyList<string>? ToolNames { get; init; }

    /// <summary>The working directory of a started server (default: the current directory).</summary>
    public string? WorkingDirectory { get; init; }

    /// <summary>How long the server may take to start and answer the MCP handshake (default 30 seconds).</summary>
    public TimeSpan StartTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Reads a server as a user writes it: an <c>http://</c> or <c>https://</c> URL, or a command line whose
    /// words are split on spaces, where double or single quotes keep a word with spaces whole
    /// (<c>node "my server/index.js" stdio</c>) and a backslash outside single quotes keeps the next character as it is.
    /// </summary>
    /// <param name="commandLineOrUrl">The command line or URL.</param>
    /// <exception cref="FormatException">The text is empty, or a quote is not closed.</exception>
    public static McpServerOptions Parse(string commandLineOrUrl)
    {
        ArgumentNullException.ThrowIfNull(commandLineOrUrl);
        var text = commandLineOrUrl.Trim();
        if (IsUrl(text, out var url)) return new McpServerOptions { Url = url };
        var words = CommandLineWords.Split(text);
        if (words.Count == 0) throw new FormatException("An MCP server needs a command line (e.g. \"node server.js stdio\") or an http(s) URL; the text is empty.");
        return new McpServerOptions { Command = words[0], Arguments = words.Skip(1).ToArray() };
    }

    /// <summary>True when the text is an absolute <c>http</c> or <c>https</c> URL, the form that means an HTTP server.</summary>
    /// <param name="text">The text to look at.</param>
    /// <param name="url">The URL, when it is one.</param>
    public static bool IsUrl(string text, out Uri url)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (Uri.TryCreate(text.Trim(), UriKind.Absolute, out var parsed) && parsed.Scheme is "http" or "https")
        {
            url = parsed;
            return true;
        }
        url = null!;
        return false;
    }

    /// <summary>The server as the user would write it: the URL, or the command line with quotes where a word needs them.</summary>
    public override string ToString() =>
        Url is not null ? Url.ToString() : CommandLineWords.Join([Command ?? "", .. Arguments]);
}
