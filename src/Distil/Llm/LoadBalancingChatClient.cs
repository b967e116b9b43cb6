using System.Runtime.CompilerServices;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Distil;

/// <summary>How a <see cref="LoadBalancingChatClient"/> shares calls among the servers of one model.</summary>
public sealed record LoadBalancerOptions
{
    /// <summary>
    /// The most calls one server gets at once (null, the default: no bound but the client's own).
    /// When the servers' limits adapt (a <see cref="ChatClientFactory"/> with
    /// <see cref="ResilienceOptions.AdaptiveConcurrency"/> on), each server's ceiling.
    /// </summary>
    public int? MaxConcurrentPerServer { get; init; }

    /// <summary>How long one call to one server may take before it counts as a failure of that server and goes to another (null: no limit).</summary>
    public TimeSpan? ServerTimeout { get; init; } = TimeSpan.FromSeconds(120);

    /// <summary>Failures in a row (transient errors or timeouts) after which a server is ejected (default 3).</summary>
    public int FailuresToEject { get; init; } = 3;

    /// <summary>How long a server stays ejected the first time (default 5 s); each ejection after a failed probe doubles it.</summary>
    public TimeSpan EjectionTime { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>The longest ejection (default 2 min).</summary>
    public TimeSpan MaxEjectionTime { get; init; } = TimeSpan.FromMinutes(2);

    /// <summary>Checks the values, naming the one that is wrong.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A value is out of range.</exception>
    public void Validate()
    {
        if (MaxConcurrentPerServer is < 1)
            throw new ArgumentOutOfRangeException(nameof(MaxConcurrentPerServer), MaxConcurrentPerServer, "MaxConcurrentPerServer must be 1 or more, or null for no bound.");
        if (ServerTimeout is { } timeout && timeout <= TimeSpan.Zero)
            throw new ArgumentOutOfRangeException(nameof(ServerTimeout), ServerTimeout, "ServerTimeout must be positive, or null for no limit.");
        if (FailuresToEject < 1)
            throw new ArgumentOutOfRangeException(nameof(FailuresToEject), FailuresToEject, "FailuresToEject must be 1 or more.");
        if (EjectionTime <= TimeSpan.Zero)
            throw new ArgumentOutOfRangeException(nameof(EjectionTime), EjectionTime, "EjectionTime must be positive.");
        if (MaxEjectionTime < EjectionTime)
            throw new ArgumentOutOfRangeException(nameof(MaxEjectionTime), MaxEjectionTime, "MaxEjectionTime must be at least EjectionTime.");
    }
}

/// <summary>How one server of a <see cref="LoadBalancingChatClient"/> stands.</summary>
public enum ServerState
{
    /// <summary>Takes calls.</summary>
    Healthy,

    /// <summary>Failed too often; takes no call until its ejection ends.</summary>
    Ejected,

    /// <summary>Its ejection ended; one call at a time tells whether it takes full load again.</summary>
    Probing,
}

/// <summary>What one server of a <see cref="LoadBalancingChatClient"/> did so far.</summary>
/// <param name="Name">The server, as its address (scheme, host, port and path; never a key).</param>
/// <param name="State">How it stands now.</param>
/// <param name="InFlight">Calls waiting on it now.</param>
/// <param name="Answered">Calls it answered.</param>
/// <param name="Failed">Calls it failed (transient errors, timeouts), each then sent to another server when one was left.</param>
/// <param name="Ejections">How many times it was ejected.</param>
public sealed record ServerStatistics(string Name, ServerState State, int InFlight, long Answered, long Failed, long Ejections)
{
    /// <summary>The calls it may have in flight now, when its limit adapts (null: a fixed bound, or none).</summary>
    public int? ConcurrencyLimit { get; init; }

    /// <summary>Calls it refused (429, 503) or let time out, when its limit adapts.</summary>
    public long Refusals { get; init; }
}

/// <summary>
/// One model served by several servers (replicas of vLLM, TGI, llama.cpp server…) as one
/// <see cref="IChatClient"/>: each call goes to the server with the fewest calls outstanding (a
/// slow server holds its calls longer, so it gets fewer), within a per-server bound; a server that
/// fails several times in a row or times out is ejected for a while, then probed with one call
/// before it takes full load again; a call that fails on one server for a transient reason is
/// sent at once to another. Only when every server failed it does the call fail, for the
/// resilience middleware around it to retry after a backoff. <c>endpoint:URL1,URL2#model</c> in a
/// model spec builds one.
/// </summary>
/// <remarks>
/// Given a limit per server (<see cref="AdaptiveConcurrency"/>, as a <see cref="ChatClientFactory"/>
/// gives with adaptive concurrency on), a server takes calls while its limit has room, its refusals
/// (429, 503, timeouts) cut that server's limit alone, and a call that finds every server full
/// waits in the queue of the one with the most room.
/// </remarks>
public sealed class LoadBalancingChatClient : IChatClient
{
    private readonly Server[] _servers;
    private readonly LoadBalancerOptions _options;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly SemaphoreSlim? _capacity;
    private readonly ChatClientMetadata? _metadata;
    private readonly object _gate = new();
    private int _next;

    /// <summary>Balances over <paramref name="servers"/>: (a name for messages, its client) each, in order of preference for ties.</summary>
    /// <param name="servers">The servers, in order of preference for ties.</param>
    /// <param name="options">The balancing settings (defaults when null).</param>
    /// <param name="logger">Receives ejections and probes.</param>
    /// <param name="time">The clock (tests pass a fake one).</param>
    /// <param name="limits">
    /// One limit on calls in flight per server, in the order of <paramref name="servers"/> (they
    /// may be shared with other clients of the same servers); null: <see cref="LoadBalancerOptions.MaxConcurrentPerServer"/> as a fixed bound.
    /// </param>
    /// <exception cref="ArgumentException">No server is given, two have one name, or the limits are not one per server.</exception>
    public LoadBalancingChatClient(IReadOnlyList<(string Name, IChatClient Client)> servers, LoadBalancerOptions? options = null, ILogger? logger = null, TimeProvider? time = null,
        IReadOnlyList<AdaptiveConcurrency>? limits = null)
    {
        ArgumentNullException.ThrowIfNull(servers);
        if (servers.Count == 0) throw new ArgumentException("A load balancer needs at least one server.", nameof(servers));
        if (servers.Select(s => s.Name).Distinct(StringComparer.Ordinal).Count() != servers.Count)
            throw new ArgumentException($"Two servers have one name: {string.Join(", ", servers.Select(s => s.Name))}.", nameof(servers));
        _options = options ?? new LoadBalancerOptions();
        _options.Validate();
        _logger = logger ?? NullLogger.Instance;
        _time = time ?? TimeProvider.System;
        if (limits is not null && limits.Count != servers.Count)
            throw new ArgumentException($"The load balancer has {servers.Count} servers but {limits.Count} limits: give one per server.", nameof(limits));
        _servers = servers.Select((s, i) => new Server(s.Name, s.Client) { NextEjection = _options.EjectionTime, Limit = limits?[i] }).ToArray();
        // With a limit per server, the limits bound the calls; without, the fixed per-server bound does.
        if (_options.MaxConcurrentPerServer is { } perServer && limits is null) _capacity = new SemaphoreSlim(perServer * _servers.Length);
        // The model of the first server speaks for all (they serve one model); the address is left out.
        var first = _servers[0].Client.GetService<ChatClientMetadata>();
        _metadata = first is null ? null : new ChatClientMetadata(first.ProviderName, null, first.DefaultModelId);
    }

    /// <summary>The balancing settings.</summary>
    public LoadBalancerOptions Options => _options;

    /// <summary>Every server with its counts, in the order given.</summary>
    public IReadOnlyList<ServerStatistics> Servers
    {
        get
        {
            lock (_gate)
            {
                var now = _time.GetUtcNow();
                return _servers.Select(s => new ServerStatistics(s.Name, s.StateAt(now), s.InFlight, s.Answered, s.Failed, s.Ejections)
                {
                    ConcurrencyLimit = s.Limit is { IsAdaptive: true } limit ? limit.Limit : null,
                    Refusals = s.Limit?.Refusals ?? 0,
                }).ToList();
            }
        }
    }

    /// <inheritdoc/>
    public async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(messages);
        var request = messages as IReadOnlyList<ChatMessage> ?? messages.ToList();
        if (_capacity is not null) await _capacity.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var tried = new HashSet<Server>();
            Exception? last = null;
            while (true)
            {
                var (server, slot) = Pick(tried);
                // Every server full: wait in a queue rather than fail a call that no server refused.
                if (server is null && tried.Count == 0 && IsLimited) (server, slot) = await QueueAsync(cancellationToken).ConfigureAwait(false);
                if (server is null) break;
                tried.Add(server);
                try
                {
                    return await CallAsync(server, slot, request, options, cancellationToken).ConfigureAwait(false);
                }
                catch (Exception error) when (!cancellationToken.IsCancellationRequested && (error is TimeoutException || TransientFaults.IsTransient(error)))
                {
                    // Tried on the next server at once; the resilience middleware backs off only when all have failed.
                    last = error;
                }
            }
            if (last is null) throw new InvalidOperationException("No server of the load balancer could take the call.");
            // The retry above this client says which servers the call failed on.
            last.Data[ServersTriedKey] = "servers " + string.Join(", ", _servers.Where(tried.Contains).Select(s => s.Name));
            throw last;
        }
        finally
        {
            _capacity?.Release();
        }
    }

    private const string ServersTriedKey = "Distil.ServersTried";

    /// <summary>The servers a failed call was tried on ("servers http://a:8000/v1, http://b:8000/v1"), if this client failed it.</summary>
    internal static string? ServersTried(Exception error) => error.Data[ServersTriedKey] as string;

    /// <inheritdoc/>
    public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(messages);
        if (_capacity is not null) await _capacity.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            // Rule: a stream cannot move to another server half-way: it goes to the best server as a
            // whole, and gives back its slot however it ends (answered, failed, or left unread).
            var (picked, slot) = Pick([]);
            if (picked is null && IsLimited) (picked, slot) = await QueueAsync(cancellationToken).ConfigureAwait(false);
            var server = picked ?? throw new InvalidOperationException("No server of the load balancer could take the call.");
            using var held = slot;
            var settled = false;
            try
            {
                using var timeout = Timeout(cancellationToken);
                await using var updates = server.Client.GetStreamingResponseAsync(messages, options, timeout.Token).GetAsyncEnumerator(timeout.Token);
                while (true)
                {
                    try
                    {
                        if (!await updates.MoveNextAsync().ConfigureAwait(false)) break;
                    }
                    catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested && timeout.IsCancellationRequested)
                    {
                        settled = true;
                        slot?.Refused();
                        Failed(server, "timed out");
                        throw TimedOut(server);
                    }
                    catch (Exception error) when (!cancellationToken.IsCancellationRequested && TransientFaults.IsTransient(error))
                    {
                        settled = true;
                        if (TransientFaults.IsRefusal(error)) slot?.Refused(TransientFaults.RetryAfter(error));
                        Failed(server, TransientFaults.Describe(error));
                        throw;
                    }
                    yield return updates.Current;
                }
                settled = true;
                slot?.Answered();
                Succeeded(server);
            }
            finally
            {
                if (!settled) Release(server);
            }
        }
        finally
        {
            _capacity?.Release();
        }
    }

    /// <inheritdoc/>
    public object? GetService(Type serviceType, object? serviceKey = null)
    {
        ArgumentNullException.ThrowIfNull(serviceType);
        if (serviceKey is not null) return null;
        if (serviceType == typeof(ChatClientMetadata)) return _metadata;
        if (serviceType.IsInstanceOfType(this)) return this;
        // Anything else (a token counter, the provider's connection) from the first server: they serve one model.
        return _servers[0].Client.GetService(serviceType);
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        foreach (var server in _servers) server.Client.Dispose();
        _capacity?.Dispose();
    }

    private async Task<ChatResponse> CallAsync(Server server, ConcurrencyLease? slot, IReadOnlyList<ChatMessage> messages, ChatOptions? options, CancellationToken cancellationToken)
    {
        using var held = slot;
        using var timeout = Timeout(cancellationToken);
        try
        {
            var response = await server.Client.GetResponseAsync(messages, options, timeout.Token).ConfigureAwait(false);
            slot?.Answered();
            Succeeded(server);
            return response;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested && timeout.IsCancellationRequested)
        {
            slot?.Refused();
            Failed(server, "timed out");
            throw TimedOut(server);
        }
        catch (Exception error) when (!cancellationToken.IsCancellationRequested && TransientFaults.IsTransient(error))
        {
            if (TransientFaults.IsRefusal(error)) slot?.Refused(TransientFaults.RetryAfter(error));
            Failed(server, TransientFaults.Describe(error));
            throw;
        }
        catch
        {
            Release(server);
            throw;
        }
    }

    // The caller's token, cancelled too when the server timeout (on this client's clock) runs out.
    private LinkedTimeout Timeout(CancellationToken cancellationToken) => new(cancellationToken, _options.ServerTimeout, _time);

    private TimeoutException TimedOut(Server server) =>
        new($"Server {server.Name} did not answer within {_options.ServerTimeout!.Value.TotalSeconds:0.###} s.");

    private bool IsLimited => _servers[0].Limit is not null;

    // The server with the fewest calls outstanding among those that may take one; ties go round.
    // With limits per server, the call also takes a slot of the server's limit (returned with it).
    private (Server? Server, ConcurrencyLease? Slot) Pick(HashSet<Server> tried)
    {
        lock (_gate)
        {
            var now = _time.GetUtcNow();
            var full = new HashSet<Server>();
            while (true)
            {
                Server? best = null;
                var start = _next++ % _servers.Length;
                for (var i = 0; i < _servers.Length; i++)
                {
                    var server = _servers[(start + i) % _servers.Length];
                    if (tried.Contains(server) || full.Contains(server) || !server.MayTake(now, _options.MaxConcurrentPerServer)) continue;
                    if (best is null || server.InFlight < best.InFlight) best = server;
                }
                if (best is null && tried.Count == 0)
                {
                    // Every server ejected or full: the one whose ejection ends first takes the call
                    // (its probe), rather than failing a call no server has refused yet.
                    best = _servers.Where(s => !full.Contains(s) && (s.Limit?.HasRoom ?? s.InFlight < (_options.MaxConcurrentPerServer ?? int.MaxValue)))
                        .OrderBy(s => s.EjectedUntil).FirstOrDefault();
                }
                if (best is null) return (null, null);
                var slot = best.Limit?.TryAcquire();
                if (best.Limit is not null && slot is null)
                {
                    // Another client of the same server took its last slot meanwhile.
                    full.Add(best);
                    continue;
                }
                Take(best, now);
                return (best, slot);
            }
        }
    }

    // Every server full: the call waits for a slot of the healthy server with the most room (or,
    // when all are ejected, of the one whose ejection ends first).
    private async Task<(Server? Server, ConcurrencyLease? Slot)> QueueAsync(CancellationToken cancellationToken)
    {
        Server server;
        lock (_gate)
        {
            var now = _time.GetUtcNow();
            var healthy = _servers.Where(s => s.StateAt(now) != ServerState.Ejected).ToList();
            server = healthy.Count > 0
                ? healthy.MaxBy(s => s.Limit!.Limit - s.Limit.InFlight - s.Limit.Waiting)!
                : _servers.MinBy(s => s.EjectedUntil)!;
        }
        var slot = await server.Limit!.AcquireAsync(cancellationToken).ConfigureAwait(false);
        lock (_gate) Take(server, _time.GetUtcNow());
        return (server, slot);
    }

    // Caller holds the gate.
    private static void Take(Server server, DateTimeOffset now)
    {
        if (server.StateAt(now) != ServerState.Healthy) server.Probing = true;
        server.InFlight++;
    }

    private void Succeeded(Server server)
    {
        lock (_gate)
        {
            server.InFlight--;
            server.Answered++;
            server.FailuresInARow = 0;
            if (server.Probing)
            {
                server.Probing = false;
                server.EjectedUntil = DateTimeOffset.MinValue;
                server.NextEjection = _options.EjectionTime;
                _logger.LogInformation("Server {Server} answered its probe and takes full load again.", server.Name);
            }
        }
    }

    private void Failed(Server server, string reason)
    {
        lock (_gate)
        {
            server.InFlight--;
            server.Failed++;
            server.FailuresInARow++;
            var now = _time.GetUtcNow();
            if (server.Probing || (server.FailuresInARow >= _options.FailuresToEject && server.EjectedUntil <= now))
            {
                var ejection = server.NextEjection;
                server.EjectedUntil = now + ejection;
                server.NextEjection = TimeSpan.FromTicks(Math.Min(ejection.Ticks * 2, _options.MaxEjectionTime.Ticks));
                server.Probing = false;
                server.Ejections++;
                _logger.LogWarning("Server {Server} is ejected for {Seconds:0.#} s after {Failures} failures in a row (last: {Reason}); its calls go to the other servers.",
                    server.Name, ejection.TotalSeconds, server.FailuresInARow, reason);
            }
        }
    }

    private void Release(Server server)
    {
        lock (_gate)
        {
            server.InFlight--;
            server.Probing = false;
        }
    }

    private sealed class LinkedTimeout : IDisposable
    {
        private readonly CancellationTokenSource? _timer;
        private readonly CancellationTokenSource _linked;

        public LinkedTimeout(CancellationToken cancellationToken, TimeSpan? limit, TimeProvider time)
        {
            _timer = limit is { } span ? new CancellationTokenSource(span, time) : null;
            _linked = _timer is null
                ? CancellationTokenSource.CreateLinkedTokenSource(cancellationToken)
                : CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _timer.Token);
        }

        public CancellationToken Token => _linked.Token;

        public bool IsCancellationRequested => _timer?.IsCancellationRequested ?? false;

        public void Dispose()
        {
            _linked.Dispose();
            _timer?.Dispose();
        }
    }

    private sealed class Server(string name, IChatClient client)
    {
        public string Name { get; } = name;
        public IChatClient Client { get; } = client;
        public int InFlight { get; set; }
        public long Answered { get; set; }
        public long Failed { get; set; }
        public long Ejections { get; set; }
        public int FailuresInARow { get; set; }
        public bool Probing { get; set; }
        public DateTimeOffset EjectedUntil { get; set; } = DateTimeOffset.MinValue;
        public TimeSpan NextEjection { get; set; } = TimeSpan.FromSeconds(5);

        // Its limit on calls in flight, when it has one (then the fixed bound does not apply).
        public AdaptiveConcurrency? Limit { get; init; }

        public ServerState StateAt(DateTimeOffset now) => EjectedUntil > now ? ServerState.Ejected : Probing || EjectedUntil != DateTimeOffset.MinValue ? ServerState.Probing : ServerState.Healthy;

        // Healthy: while under its bound. After an ejection: one call at a time, its probe.
        public bool MayTake(DateTimeOffset now, int? bound) => StateAt(now) switch
        {
            ServerState.Healthy => Limit?.HasRoom ?? InFlight < (bound ?? int.MaxValue),
            ServerState.Probing => InFlight == 0,
            _ => false,
        };
    }
}
