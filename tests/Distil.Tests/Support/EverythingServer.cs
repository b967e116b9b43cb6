using NUnit.Framework;

namespace Distil.Tests.Support;

/// <summary>
/// The MCP reference server "everything" from npm (tests/mcp-servers, pinned in its package-lock.json),
/// started over stdio with node: a real MCP server no one here wrote. Its <c>get-sum</c> answers
/// "The sum of 17 and 25 is 42.".
/// </summary>
internal static class EverythingServer
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

    private static string RepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Distil.Generated.sln"))) return directory.FullName;
        }
        throw new InvalidOperationException("The repository root (Distil.Generated.sln) was not found above the test directory.");
    }
}
