using System.Diagnostics;
using Distil.Mcp;
using Distil.Tests.Support;
using Microsoft.Extensions.AI;
using NUnit.Framework;

namespace Distil.Tests.Mcp;

// Against the real "everything" MCP server from npm, started over stdio with node (and once over HTTP).
[TestFixture]
public sealed class McpToolSourceTests
{
    [Test]
    public async Task Lists_the_tools_of_a_server_started_from_a_command_line()
    {
        await using var source = await McpToolSource.StartAsync(EverythingServer.CommandLine);

        var names = source.Tools.Select(t => t.Name).ToList();
        Assert.That(names, Does.Contain("get-sum").And.Contain("echo"));
        Assert.That(source.Tools, Has.All.InstanceOf<AIFunction>());
        Assert.That(source.ServerName, Is.Not.Empty);
    }

    [Test]
    public async Task A_filter_keeps_only_the_named_tools()
    {
        await using var source = await McpToolSource.StartAsync(EverythingServer.CommandLine, ["get-sum", "echo"]);

        Assert.That(source.Tools.Select(t => t.Name), Is.EquivalentTo(new[] { "get-sum", "echo" }));
    }

    [Test]
    public async Task Calling_get_sum_returns_the_servers_own_text()
    {
        await using var source = await McpToolSource.StartAsync(EverythingServer.CommandLine, ["get-sum"]);
        var getSum = (AIFunction)source.Tools.Single();

        var result = await getSum.InvokeAsync(new AIFunctionArguments { ["a"] = 17, ["b"] = 25 });

        Assert.That(result?.ToString(), Does.Contain("The sum of 17 and 25 is 42."));
    }

    [Test]
    public void A_filter_naming_a_tool_the_server_lacks_lists_the_tools_it_has()
    {
        var error = Assert.ThrowsAsync<McpServerException>(() => McpToolSource.StartAsync(EverythingServer.CommandLine, ["get-sum", "get-product"]));

        Assert.That(error!.Message, Does.Contain("has no tool 'get-product'").And.Contain("its tools: ").And.Contain("get-sum").And.Contain("echo"));
        Assert.That(error.Message, Does.Not.Contain("'get-sum'"), "only the missing name is named as missing");
    }

    [Test]
    public void A_command_that_does_not_exist_is_named_in_the_error()
    {
        var error = Assert.ThrowsAsync<McpServerException>(() => McpToolSource.StartAsync("no-such-mcp-server-here --stdio"));

        Assert.That(error!.Message, Does.Contain("'no-such-mcp-server-here' was not found on PATH"));
    }

    [Test]
    public void A_path_that_does_not_exist_is_named_in_the_error()
    {
        var missing = Path.Combine(Path.GetTempPath(), "no-such-dir", "server");

        var error = Assert.ThrowsAsync<McpServerException>(() => McpToolSource.StartAsync($"\"{missing}\" stdio"));

        Assert.That(error!.Message, Does.Contain($"'{missing}' was not found (no such file)"));
    }

    [Test]
    public void A_server_that_exits_while_starting_is_reported_with_the_end_of_its_standard_error()
    {
        var error = Assert.ThrowsAsync<McpServerException>(() => McpToolSource.StartAsync(
            McpServerOptions.Parse("node -e \"console.error('missing API key FOO_TOKEN'); process.exit(3)\"") with { StartTimeout = TimeSpan.FromSeconds(20) }));

        Assert.That(error!.Message, Does.Contain("did not start (it exited, or did not answer the MCP handshake within 20 s)").And.Contain("missing API key FOO_TOKEN"));
    }

    [Test]
    public async Task Disposing_the_source_stops_the_server_it_started()
    {
        // A word the server ignores, to find its process among the machine's.
        var marker = "distil-mcp-test-" + Guid.NewGuid().ToString("N");
        var source = await McpToolSource.StartAsync($"{EverythingServer.CommandLine} {marker}");
        Assert.That(EverythingServer.ProcessesWith(marker), Is.Not.Empty, "the server runs while the source is open");

        await source.DisposeAsync();

        var clock = Stopwatch.StartNew();
        while (EverythingServer.ProcessesWith(marker).Count > 0 && clock.Elapsed < TimeSpan.FromSeconds(10)) await Task.Delay(100);
        Assert.That(EverythingServer.ProcessesWith(marker), Is.Empty, "the server is stopped once the source is disposed");
    }

    [Test]
    public async Task An_http_url_connects_to_a_running_server()
    {
        var (server, url) = await EverythingServer.StartHttpAsync();
        try
        {
            await using var source = await McpToolSource.StartAsync(url.ToString(), ["get-sum"]);

            var result = await ((AIFunction)source.Tools.Single()).InvokeAsync(new AIFunctionArguments { ["a"] = 17, ["b"] = 25 });

            Assert.That(result?.ToString(), Does.Contain("The sum of 17 and 25 is 42."));
        }
        finally
        {
            server.Kill(entireProcessTree: true);
            server.Dispose();
        }
    }

    [Test]
    public void An_http_url_where_nothing_listens_is_a_clear_error()
    {
        var port = EverythingServer.FreePort();

        var error = Assert.ThrowsAsync<McpServerException>(() => McpToolSource.StartAsync(
            McpServerOptions.Parse($"http://127.0.0.1:{port}/mcp") with { StartTimeout = TimeSpan.FromSeconds(10) }));

        Assert.That(error!.Message, Does.StartWith($"MCP server at http://127.0.0.1:{port}/mcp could not be reached"));
    }

    [TestCase("node index.js stdio", "node", new[] { "index.js", "stdio" })]
    [TestCase("  node   \"my server/index.js\"  stdio ", "node", new[] { "my server/index.js", "stdio" })]
    [TestCase("python -c 'print(\"hi\")'", "python", new[] { "-c", "print(\"hi\")" })]
    [TestCase("tool a\\ b \"say \\\"x\\\"\" ''", "tool", new[] { "a b", "say \"x\"", "" })]
    public void A_command_line_is_split_into_words_with_quotes_respected(string commandLine, string command, string[] arguments)
    {
        var options = McpServerOptions.Parse(commandLine);

        Assert.That(options.Command, Is.EqualTo(command));
        Assert.That(options.Arguments, Is.EqualTo(arguments));
        Assert.That(options.Url, Is.Null);
        Assert.That(McpServerOptions.Parse(options.ToString()).Arguments, Is.EqualTo(arguments), "ToString reads back as the same words");
    }

    [Test]
    public void An_unclosed_quote_or_an_empty_command_line_is_refused()
    {
        Assert.That(() => McpServerOptions.Parse("node \"index.js stdio"), Throws.TypeOf<FormatException>().With.Message.Contains("never closed"));
        Assert.That(() => McpServerOptions.Parse("   "), Throws.TypeOf<FormatException>().With.Message.Contains("empty"));
    }

    [Test]
    public void An_http_or_https_url_means_an_http_server()
    {
        Assert.That(McpServerOptions.Parse("https://tools.example/mcp").Url, Is.EqualTo(new Uri("https://tools.example/mcp")));
        Assert.That(McpServerOptions.Parse("https://tools.example/mcp").Command, Is.Null);
        Assert.That(McpServerOptions.Parse("file:///bin/server").Command, Is.EqualTo("file:///bin/server"), "only http(s) is a URL");
    }
}
