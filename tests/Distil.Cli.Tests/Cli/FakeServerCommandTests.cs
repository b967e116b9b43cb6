using System.Diagnostics;
using System.Net;
using System.Text.RegularExpressions;
using Distil.OpenAI;
using Distil.Tests.Support;
using Microsoft.Extensions.AI;
using NUnit.Framework;

namespace Distil.Tests.Cli;

/// <summary><c>distil fake-server</c> as a real process: it serves chat calls, stops on SIGTERM or Ctrl+C, and exits 0.</summary>
public class FakeServerCommandTests
{
    private static readonly Regex Listening = new(@"listening on (http://127\.0\.0\.1:\d+/v1/)", RegexOptions.Compiled);

    private static async Task<string> BaseUrlOf(ChildProgram.Child child)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < TimeSpan.FromSeconds(60))
        {
            if (Listening.Match(child.Output) is { Success: true } match) return match.Groups[1].Value;
            if (child.HasExited) Assert.Fail($"fake-server exited with {child.Process.ExitCode}: {child.Error}");
            await Task.Delay(50);
        }
        Assert.Fail("fake-server printed no address within a minute: " + child.Output + child.Error);
        return "";
    }

    [TestCase(15, TestName = "SIGTERM stops the fake server and it exits 0")]
    [TestCase(2, TestName = "Ctrl+C (SIGINT) stops the fake server and it exits 0")]
    public async Task The_fake_server_answers_calls_and_stops_on_a_signal(int signal)
    {
        using var child = ChildProgram.Distil.Start("fake-server", "--port", "0");
        var baseUrl = await BaseUrlOf(child);

        using var llm = new ChatClientFactory { Environment = _ => null, Resilience = new ResilienceOptions { MaxRetries = 0 } }.AddOpenAI()
            .Create($"endpoint:{baseUrl}#any-model");
        var answer = await llm.GetResponseAsync("hello");
        Assert.That(answer.Text, Is.EqualTo("fake answer 0"));

        var clock = Stopwatch.StartNew();
        child.Signal(signal);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await child.Process.WaitForExitAsync(timeout.Token);

        Assert.That(child.Process.ExitCode, Is.Zero, child.Error);
        Assert.That(clock.Elapsed, Is.LessThan(TimeSpan.FromSeconds(5)), "promptly");
        Assert.That(child.Output, Does.Contain("Stopped; chat requests served: 1."));
        using var http = new HttpClient();
        Assert.That(async () => await http.GetAsync(baseUrl + "batches/none"), Throws.InstanceOf<HttpRequestException>(), "nothing listens any more");
    }

    [Test]
    public async Task Faults_fail_the_share_asked_for_and_the_batch_api_answers()
    {
        using var child = ChildProgram.Distil.Start("fake-server", "--faults", "1", "--seed", "3");
        var baseUrl = await BaseUrlOf(child);
        using var http = new HttpClient();

        var chat = await http.PostAsync(baseUrl + "chat/completions",
            new StringContent("""{"model":"m","messages":[{"role":"user","content":"hi"}]}""", System.Text.Encoding.UTF8, "application/json"));
        Assert.That(chat.StatusCode, Is.EqualTo(HttpStatusCode.TooManyRequests), "every request fails, the first with a 429");

        using var form = new MultipartFormDataContent
        {
            { new StringContent("batch"), "purpose" },
            { new ByteArrayContent("""{"custom_id":"0:0","method":"POST","url":"/v1/chat/completions","body":{"model":"m","messages":[{"role":"user","content":"hi"}]}}"""u8.ToArray()), "file", "batch.jsonl" },
        };
        var upload = await http.PostAsync(baseUrl + "files", form);
        Assert.That(upload.StatusCode, Is.EqualTo(HttpStatusCode.OK), await upload.Content.ReadAsStringAsync());
        Assert.That(await upload.Content.ReadAsStringAsync(), Does.Contain("\"id\""));

        child.Signal(15);
        await child.Process.WaitForExitAsync(new CancellationTokenSource(TimeSpan.FromSeconds(10)).Token);
        Assert.That(child.Process.ExitCode, Is.Zero);
    }

    [TestCase("--faults", "1.5", "--faults must be a share from 0 to 1")]
    [TestCase("--port", "70000", "--port must be 0 (a free port) to 65535")]
    public async Task A_bad_value_is_refused_with_exit_code_2(string option, string value, string message)
    {
        var (exitCode, error) = await ChildProgram.Distil.RunAsync("fake-server", option, value);

        Assert.That(exitCode, Is.EqualTo(2));
        Assert.That(error, Does.Contain(message));
    }
}
