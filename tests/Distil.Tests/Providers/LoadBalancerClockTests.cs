using System.Net;
using System.Runtime.CompilerServices;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Time.Testing;
using NUnit.Framework;

namespace Distil.Tests.Providers;

/// <summary>
/// The load balancer's rules on a clock the test moves (<see cref="FakeTimeProvider"/>): ejection
/// after failures in a row, ejections that double after each failed probe (up to the longest) and
/// start over after a good one, one probe call at a time, the per-server timeout, streams that give
/// back their slot, and every server failing. The servers are scripted at the edge.
/// </summary>
public class LoadBalancerClockTests
{
    private static readonly TimeSpan Ejection = TimeSpan.FromSeconds(5);

    private FakeTimeProvider _time = null!;

    [SetUp]
    public void StartClock() => _time = new FakeTimeProvider(new DateTimeOffset(2026, 12, 6, 9, 0, 0, TimeSpan.Zero));

    private LoadBalancingChatClient Balance(LoadBalancerOptions options, params FakeServerClient[] servers) =>
        new(servers.Select(s => (s.Name, (IChatClient)s)).ToList(), options, time: _time);

    private static LoadBalancerOptions Options(int? perServer = null, TimeSpan? timeout = null) => new()
    {
        EjectionTime = Ejection, MaxEjectionTime = TimeSpan.FromSeconds(20), FailuresToEject = 3,
        MaxConcurrentPerServer = perServer, ServerTimeout = timeout ?? TimeSpan.FromSeconds(60),
    };

    private static ServerStatistics Stats(LoadBalancingChatClient balancer, FakeServerClient server) => balancer.Servers.Single(s => s.Name == server.Name);

    // Calls until the failing server has been asked once more (it is probed when its turn comes; the other answers the rest).
    private static async Task CallUntilAsked(LoadBalancingChatClient balancer, FakeServerClient server)
    {
        var before = server.Calls;
        for (var i = 0; i < 8 && server.Calls == before; i++) await balancer.GetResponseAsync("q");
        Assert.That(server.Calls, Is.EqualTo(before + 1), "the probe: one call");
    }

    [Test]
    public async Task Three_failures_in_a_row_eject_a_server_and_its_calls_go_to_the_other()
    {
        var failing = FakeServerClient.Failing("failing");
        var good = FakeServerClient.Answering("good");
        using var balancer = Balance(Options(), failing, good);

        for (var i = 0; i < 10; i++) Assert.That((await balancer.GetResponseAsync($"q{i}")).Text, Is.EqualTo("good"), "failed over at once");

        Assert.That(failing.Calls, Is.EqualTo(3), "no call after its third failure in a row");
        Assert.That(Stats(balancer, failing), Is.EqualTo(new ServerStatistics("failing", ServerState.Ejected, 0, 0, 3, 1)));
        Assert.That(Stats(balancer, good).Answered, Is.EqualTo(10));
    }

    [Test]
    public async Task Each_failed_probe_doubles_the_ejection_up_to_the_longest_and_a_good_probe_starts_over()
    {
        var flaky = FakeServerClient.Failing("flaky");
        var good = FakeServerClient.Answering("good");
        using var balancer = Balance(Options(), flaky, good);
        for (var i = 0; i < 6; i++) await balancer.GetResponseAsync("q");
        Assert.That(flaky.Calls, Is.EqualTo(3));

        // Ejected for 5 s, then 10, 20, and 20 again (the longest): each time the state holds until the very end.
        foreach (var seconds in new[] { 5, 10, 20, 20 })
        {
            var asked = flaky.Calls;
            _time.Advance(TimeSpan.FromSeconds(seconds) - TimeSpan.FromMilliseconds(1));
            Assert.That(Stats(balancer, flaky).State, Is.EqualTo(ServerState.Ejected), $"still ejected just before {seconds} s");
            for (var i = 0; i < 4; i++) await balancer.GetResponseAsync("q");
            Assert.That(flaky.Calls, Is.EqualTo(asked), "no call while ejected");
            _time.Advance(TimeSpan.FromMilliseconds(1));
            Assert.That(Stats(balancer, flaky).State, Is.EqualTo(ServerState.Probing), $"probed after {seconds} s");
            await CallUntilAsked(balancer, flaky);
            Assert.That(Stats(balancer, flaky).State, Is.EqualTo(ServerState.Ejected), "its probe failed");
        }
        Assert.That(Stats(balancer, flaky).Ejections, Is.EqualTo(5));

        // It recovers: the next probe answers, it takes full load, and a later ejection is short again.
        flaky.Reply = _ => Task.FromResult(new ChatResponse(new ChatMessage(ChatRole.Assistant, "flaky")));
        _time.Advance(TimeSpan.FromSeconds(20));
        await CallUntilAsked(balancer, flaky);
        Assert.That(Stats(balancer, flaky).State, Is.EqualTo(ServerState.Healthy));
        for (var i = 0; i < 10; i++) await balancer.GetResponseAsync("q");
        Assert.That(Stats(balancer, flaky).Answered, Is.GreaterThanOrEqualTo(5), "its share again");

        flaky.Reply = FakeServerClient.ServiceUnavailable;
        for (var i = 0; i < 12 && Stats(balancer, flaky).State == ServerState.Healthy; i++) await balancer.GetResponseAsync("q");
        Assert.That(Stats(balancer, flaky).State, Is.EqualTo(ServerState.Ejected));
        _time.Advance(Ejection);
        Assert.That(Stats(balancer, flaky).State, Is.EqualTo(ServerState.Probing), "the first ejection after a good probe is the shortest again");
    }

    [Test]
    public async Task A_probing_server_takes_one_call_at_a_time_until_its_probe_answers()
    {
        var recovering = FakeServerClient.Failing("recovering");
        var good = FakeServerClient.Answering("good");
        using var balancer = Balance(Options(), recovering, good);
        for (var i = 0; i < 6; i++) await balancer.GetResponseAsync("q");
        _time.Advance(Ejection);
        var probe = new TaskCompletionSource<ChatResponse>(TaskCreationOptions.RunContinuationsAsynchronously);
        recovering.Reply = _ => probe.Task;

        // The probe hangs; meanwhile every other call goes to the good server.
        var calls = new List<Task<ChatResponse>>();
        for (var i = 0; i < 6; i++) calls.Add(balancer.GetResponseAsync($"q{i}"));
        Assert.That(recovering.Calls, Is.EqualTo(4), "three failures, then one probe and no more while it is out");
        Assert.That(Stats(balancer, recovering), Has.Property("State").EqualTo(ServerState.Probing).And.Property("InFlight").EqualTo(1));

        probe.SetResult(new ChatResponse(new ChatMessage(ChatRole.Assistant, "back")));
        var answers = await Task.WhenAll(calls);

        Assert.That(answers.Select(a => a.Text), Has.Exactly(1).EqualTo("back").And.Exactly(5).EqualTo("good"));
        Assert.That(Stats(balancer, recovering).State, Is.EqualTo(ServerState.Healthy));
    }

    [Test]
    public async Task A_server_slower_than_the_timeout_fails_over_when_the_clock_passes_it()
    {
        var hung = FakeServerClient.Hanging("hung");
        var good = FakeServerClient.Answering("good");
        using var balancer = Balance(Options(timeout: TimeSpan.FromSeconds(30)), hung, good);

        // Calls until one waits on the hung server; the others are answered by the good one.
        var calls = new List<Task<ChatResponse>>();
        for (var i = 0; i < 4 && hung.Calls == 0; i++) calls.Add(balancer.GetResponseAsync($"q{i}"));
        Assert.That(hung.Calls, Is.EqualTo(1));
        Assert.That(calls.Count(c => !c.IsCompleted), Is.EqualTo(1), "one call waits on the hung server");
        _time.Advance(TimeSpan.FromSeconds(29));
        await Task.Delay(50);
        Assert.That(calls.Count(c => !c.IsCompleted), Is.EqualTo(1), "not before the timeout");

        _time.Advance(TimeSpan.FromSeconds(1));
        var answers = await Task.WhenAll(calls).WaitAsync(TimeSpan.FromSeconds(10));

        Assert.That(answers.Select(a => a.Text), Is.All.EqualTo("good"), "the timed-out call went to the other server");
        Assert.That(Stats(balancer, hung), Has.Property("Failed").EqualTo(1).And.Property("InFlight").EqualTo(0));
        Assert.That(hung.Cancelled, Is.EqualTo(1), "the abandoned call was cancelled");
    }

    [Test]
    public async Task Streams_give_back_their_slot_whether_read_to_the_end_left_unread_or_failed()
    {
        var first = FakeServerClient.Answering("first");
        var second = FakeServerClient.Answering("second");
        using var balancer = Balance(Options(perServer: 1), first, second);

        // Far more streams than slots (two): each gives its slot back.
        for (var i = 0; i < 10; i++)
        {
            var text = string.Concat(await balancer.GetStreamingResponseAsync($"s{i}").Select(u => u.Text).ToListAsync());
            Assert.That(text, Is.AnyOf("first", "second"));
        }
        for (var i = 0; i < 4; i++)
        {
            await using var unread = balancer.GetStreamingResponseAsync("left").GetAsyncEnumerator();
            Assert.That(await unread.MoveNextAsync(), Is.True);
        }

        Assert.That(balancer.Servers.Select(s => s.InFlight), Is.All.Zero);
        Assert.That(balancer.Servers.Sum(s => s.Answered), Is.EqualTo(10));
        Assert.That((await balancer.GetResponseAsync("after the streams")).Text, Is.AnyOf("first", "second"));

        // A stream that fails counts against its server like a call, and three eject it.
        first.Reply = FakeServerClient.ServiceUnavailable;
        for (var i = 0; i < 8 && Stats(balancer, first).State == ServerState.Healthy; i++)
        {
            try
            {
                await balancer.GetStreamingResponseAsync("s").ToListAsync();
            }
            catch (HttpRequestException)
            {
            }
        }
        Assert.That(Stats(balancer, first), Has.Property("State").EqualTo(ServerState.Ejected).And.Property("Failed").EqualTo(3).And.Property("InFlight").EqualTo(0));
        Assert.That((await balancer.GetResponseAsync("still")).Text, Is.EqualTo("second"));
    }

    [Test]
    public async Task When_every_server_fails_the_call_fails_with_the_last_error_and_an_all_ejected_pool_still_probes()
    {
        var a = FakeServerClient.Failing("a");
        var b = FakeServerClient.Failing("b");
        using var balancer = Balance(Options(), a, b);

        for (var i = 0; i < 3; i++)
        {
            Assert.That(async () => await balancer.GetResponseAsync("q"), Throws.TypeOf<HttpRequestException>().With.Property("StatusCode").EqualTo(HttpStatusCode.ServiceUnavailable),
                "the server's own error, for the retry middleware to judge");
        }
        Assert.That((a.Calls, b.Calls), Is.EqualTo((3, 3)), "each call tried every server once");
        Assert.That(balancer.Servers.Select(s => s.State), Is.All.EqualTo(ServerState.Ejected));

        // Both ejected: a call is not refused outright; the server whose ejection ends first takes it.
        a.Reply = _ => Task.FromResult(new ChatResponse(new ChatMessage(ChatRole.Assistant, "a is back")));
        Assert.That((await balancer.GetResponseAsync("q")).Text, Is.EqualTo("a is back"));
        Assert.That(Stats(balancer, a).State, Is.EqualTo(ServerState.Healthy));
    }

    /// <summary>A server at the edge: answers, fails or hangs as told, and counts its calls.</summary>
    private sealed class FakeServerClient(string name, Func<CancellationToken, Task<ChatResponse>> reply) : IChatClient
    {
        private int _calls;
        private int _cancelled;

        public static readonly Func<CancellationToken, Task<ChatResponse>> ServiceUnavailable =
            _ => Task.FromException<ChatResponse>(new HttpRequestException("Service Unavailable", null, HttpStatusCode.ServiceUnavailable));

        public string Name { get; } = name;

        public Func<CancellationToken, Task<ChatResponse>> Reply { get; set; } = reply;

        public int Calls => Volatile.Read(ref _calls);

        public int Cancelled => Volatile.Read(ref _cancelled);

        public static FakeServerClient Answering(string name) => new(name, _ => Task.FromResult(new ChatResponse(new ChatMessage(ChatRole.Assistant, name))));

        public static FakeServerClient Failing(string name) => new(name, ServiceUnavailable);

        public static FakeServerClient Hanging(string name) => new(name, async token =>
        {
            await Task.Delay(Timeout.Infinite, token);
            throw new InvalidOperationException("unreachable");
        });

        public async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
        {
            Interlocked.Increment(ref _calls);
            try
            {
                return await Reply(cancellationToken);
            }
            catch (OperationCanceledException)
            {
                Interlocked.Increment(ref _cancelled);
                throw;
            }
        }

        public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null,
            [EnumeratorCancellation] CancellationToken cancellationToken = default)
        {
            var response = await GetResponseAsync(messages, options, cancellationToken);
            // Two updates, so that a reader can stop half-way.
            var text = response.Text;
            yield return new ChatResponseUpdate(ChatRole.Assistant, text[..(text.Length / 2)]);
            yield return new ChatResponseUpdate(ChatRole.Assistant, text[(text.Length / 2)..]);
        }

        public object? GetService(Type serviceType, object? serviceKey = null) => null;

        public void Dispose()
        {
        }
    }
}
