using System.Text.Json;
using System.Text.Json.Nodes;
using Distil.Mcp;
using Distil.Pipelines;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;

namespace Distil.Cli;

/// <summary>
/// The MCP servers of a run: declared while the command line or the pipeline file is read
/// (<c>--mcp</c>, a task step's <c>"tools": {"mcp": [...]}</c>), started together when the run starts,
/// their tools added to each task's <see cref="LlmTask.Tools"/>, and stopped when the run ends.
/// Reading the file starts nothing, so <c>distil check</c> and <c>--dry-run</c> validate the
/// servers as written without running any.
/// </summary>
internal sealed class McpToolServers : IAsyncDisposable
{
    // One task's servers; Filter, from --mcp-tools, names tools across all of them.
    private sealed record Declared(LlmTask Task, string Where, IReadOnlyList<McpServerOptions> Servers, IReadOnlyList<string>? Filter);

    private readonly List<Declared> _declared = [];
    private readonly List<McpToolSource> _running = [];
    private readonly List<string> _given = [];

    /// <summary>Whether any server was declared.</summary>
    public bool Any => _declared.Count > 0;

    /// <summary>Gives <paramref name="task"/> the tools of <paramref name="servers"/> once <see cref="StartAsync"/> runs.</summary>
    public void Declare(LlmTask task, string where, IReadOnlyList<McpServerOptions> servers, IReadOnlyList<string>? filter = null)
    {
        if (servers.Count > 0) _declared.Add(new Declared(task, where, servers, filter));
    }

    /// <summary>
    /// <c>--mcp</c> (each a command line or an http(s) URL) and <c>--mcp-tools a,b</c> (the tools to keep,
    /// across the servers). A problem is a <see cref="UsageException"/> naming the option.
    /// </summary>
    public static (List<McpServerOptions> Servers, List<string>? Filter) FromOptions(string[] servers, string? tools)
    {
        var parsed = new List<McpServerOptions>();
        foreach (var server in servers)
        {
            try
            {
                parsed.Add(McpServerOptions.Parse(server));
            }
            catch (FormatException error)
            {
                throw new UsageException($"distil run: --mcp \"{server}\": {ErrorText.Of(error)}");
            }
        }
        if (tools is null) return (parsed, null);
        if (parsed.Count == 0) throw new UsageException("distil run: --mcp-tools filters the tools of --mcp servers; give --mcp \"COMMAND ARGS\" (or --mcp URL) too.");
        var names = tools.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).ToList();
        if (names.Count == 0) throw new UsageException("distil run: --mcp-tools needs tool names separated by commas, e.g. --mcp-tools get-sum,echo.");
        return (parsed, names);
    }

    /// <summary>
    /// A task step's <c>"tools"</c> value: <c>{"mcp": [ENTRY, ...]}</c>, each entry a command line, an http(s)
    /// URL, or an object <c>{"command": "...", "tools": [...]}</c> / <c>{"url": "...", "tools": [...]}</c>.
    /// The keys of the objects are checked by the file's strict reader (<see cref="PipelineFileKeys"/>); this
    /// reads the values. A problem is an <see cref="ArgumentException"/> saying where in <c>"tools"</c> it is.
    /// A command runs in <paramref name="folder"/>, the file's: its relative paths are the file's, as every path of the file.
    /// </summary>
    public static List<McpServerOptions> FromPipelineFile(JsonNode? tools, string folder)
    {
        if (tools is not JsonObject json) throw new ArgumentException("\"tools\" must be an object: {\"mcp\": [\"COMMAND ARGS\" or {\"command\": ..., \"tools\": [...]} or {\"url\": ...}]}");
        if (json["mcp"] is not JsonArray { Count: > 0 } entries) throw new ArgumentException("\"tools\": \"mcp\" must be a non-empty list of MCP servers: \"COMMAND ARGS\", or {\"command\": ..., \"tools\": [...]}, or {\"url\": ...}");
        var servers = new List<McpServerOptions>();
        for (var i = 0; i < entries.Count; i++)
        {
            var where = $"\"tools\": \"mcp\" entry {i + 1}";
            var server = entries[i] switch
            {
                JsonValue text when text.GetValueKind() == JsonValueKind.String => Parse(text.GetValue<string>(), where),
                JsonObject entry => FromObject(entry, where),
                _ => throw new ArgumentException($"{where} must be a command line, a URL, or an object with \"command\" or \"url\"; it is {entries[i]?.ToJsonString() ?? "null"}"),
            };
            servers.Add(server.Command is null ? server : server with { WorkingDirectory = folder });
        }
        return servers;
    }

    private static McpServerOptions FromObject(JsonObject server, string where)
    {
        var command = TextOf(server, "command", where);
        var url = TextOf(server, "url", where);
        if ((command is null) == (url is null)) throw new ArgumentException($"{where} needs exactly one of \"command\" (a command line) and \"url\" (an http(s) URL)");
        McpServerOptions options;
        if (url is not null)
        {
            options = McpServerOptions.IsUrl(url, out var parsed)
                ? new McpServerOptions { Url = parsed }
                : throw new ArgumentException($"{where}: \"url\" must be an http:// or https:// URL, not '{url}'; a command goes in \"command\"");
        }
        else
        {
            options = Parse(command!, where);
            if (options.Url is not null) throw new ArgumentException($"{where}: \"command\" is a URL ('{command}'); give it as \"url\"");
        }
        if (server["tools"] is null) return options;
        var names = server["tools"] is JsonArray { Count: > 0 } list && list.All(n => n is JsonValue v && v.GetValueKind() == JsonValueKind.String && v.GetValue<string>().Length > 0)
            ? list.Select(n => n!.GetValue<string>()).ToArray()
            : throw new ArgumentException($"{where}: \"tools\" must be a non-empty list of tool names, e.g. [\"get-sum\"]");
        return options with { ToolNames = names };
    }

    private static string? TextOf(JsonObject json, string key, string where) => json[key] switch
    {
        null => null,
        JsonValue value when value.GetValueKind() == JsonValueKind.String && value.GetValue<string>().Trim().Length > 0 => value.GetValue<string>(),
        var other => throw new ArgumentException($"{where}: \"{key}\" must be a non-empty string; it is {other.ToJsonString()}"),
    };

    private static McpServerOptions Parse(string text, string where)
    {
        try
        {
            return McpServerOptions.Parse(text);
        }
        catch (FormatException error)
        {
            throw new ArgumentException($"{where}: {ErrorText.Of(error)}");
        }
    }

    /// <summary>
    /// Starts every declared server at once, then gives each task its tools. A server that cannot start,
    /// a tool named in a filter that no server has, or two tools of one name on a task is a
    /// <see cref="UsageException"/> (the servers already started are stopped by <see cref="DisposeAsync"/>).
    /// </summary>
    public async Task StartAsync(ILoggerFactory? loggerFactory, CancellationToken cancellationToken)
    {
        var starts = _declared.SelectMany(d => d.Servers.Select(server => (Declared: d, Server: server))).ToList();
        var started = starts.Select(s => StartOneAsync(s.Declared, s.Server, loggerFactory, cancellationToken)).ToList();
        try
        {
            await Task.WhenAll(started);
        }
        catch
        {
            // Whatever did start is stopped with the run; the first failure is the one said.
            _running.AddRange(started.Where(t => t.IsCompletedSuccessfully).Select(t => t.Result));
            var failure = started.First(t => t.IsFaulted || t.IsCanceled);
            await failure;
            throw;
        }
        var sources = started.Select(t => t.Result).ToList();
        _running.AddRange(sources);
        foreach (var declared in _declared)
        {
            var own = starts.Zip(sources).Where(pair => pair.First.Declared == declared).Select(pair => pair.Second).ToList();
            _given.Add($"{declared.Where}: tools {string.Join(", ", AddTools(declared, own))} from {(own.Count == 1 ? "MCP server" : "MCP servers")} {string.Join(", ", own.Select(o => $"'{o.Options}'"))}");
        }
    }

    private static async Task<McpToolSource> StartOneAsync(Declared declared, McpServerOptions server, ILoggerFactory? loggerFactory, CancellationToken cancellationToken)
    {
        try
        {
            return await McpToolSource.StartAsync(server, loggerFactory, cancellationToken);
        }
        catch (McpServerException error)
        {
            throw new UsageException($"distil run: {declared.Where}: {ErrorText.Of(error)}");
        }
    }

    // Rule: a task's tools have distinct names (the model calls a tool by its name), and a filter
    // names only tools that some server of the task has.
    private static List<string> AddTools(Declared declared, List<McpToolSource> sources)
    {
        var offered = sources.SelectMany(source => source.Tools.Select(tool => (Tool: tool, Source: source))).ToList();
        if (declared.Filter is { } filter)
        {
            var missing = filter.Where(name => !offered.Any(o => o.Tool.Name == name)).ToList();
            if (missing.Count > 0)
            {
                throw new UsageException(
                    $"distil run: {declared.Where}: no MCP server has the tool {string.Join(", ", missing.Select(m => $"'{m}'"))} named by --mcp-tools; " +
                    $"the servers' tools: {string.Join(", ", offered.Select(o => o.Tool.Name))}.");
            }
            offered = offered.Where(o => filter.Contains(o.Tool.Name)).ToList();
        }
        foreach (var (tool, source) in offered)
        {
            var same = declared.Task.Tools.FirstOrDefault(t => t.Name == tool.Name);
            if (same is not null)
            {
                var other = offered.FirstOrDefault(o => ReferenceEquals(o.Tool, same)).Source;
                var from = other is null ? "the task itself" : $"MCP server '{other.Options}'";
                throw new UsageException(
                    $"distil run: {declared.Where}: two tools are named '{tool.Name}': one from MCP server '{source.Options}', one from {from}. Keep one with a filter (--mcp-tools, or \"tools\" in the server's entry).");
            }
            declared.Task.Tools.Add(tool);
        }
        return offered.Select(o => o.Tool.Name).ToList();
    }

    /// <summary>What each task was given, one line per task, once <see cref="StartAsync"/> has run.</summary>
    public IReadOnlyList<string> Given => _given;

    /// <summary>Stops every server that was started.</summary>
    public async ValueTask DisposeAsync()
    {
        foreach (var source in _running) await source.DisposeAsync();
        _running.Clear();
    }
}
