using System.Text.Json.Nodes;
using Distil.Testing;
using Distil.Tests.Support;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Caching.Distributed;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using NUnit.Framework;

namespace Distil.Tests.Providers;

/// <summary>The SQLite response cache: reruns cost nothing, changes miss, bad files say so.</summary>
public class ResponseCacheTests : FakeServerTests
{
    private TempFolder _temp = null!;

    // Not created by the set-up: opening the cache creates it (some tests create it first themselves).
    private string CacheDirectory => _temp.File("cache");

    [SetUp]
    public void Start()
    {
        Server.Reply = FakeReplies.Answering(EchoTask.Answer);
        _temp = new TempFolder("distil-cache-");
    }

    [TearDown]
    public void Stop()
    {
        SqliteConnection.ClearAllPools();
        _temp.Dispose();
    }

    private string CachePath => Path.Combine(CacheDirectory, "responses.db");

    private async Task<List<JsonObject>> RunAsync(IDistributedCache cache, ChatOptions? options = null, int generations = 1)
    {
        using var llm = FakeServerClients.OpenAI(Server, cache: cache);
        var task = new EchoTask { Llm = llm, MaxConcurrency = 8, NumGenerations = generations, GenerationOptions = options };
        return await task.ProcessAsync(EchoTask.Rows(50)).ToListAsync();
    }

    [Test]
    public async Task A_rerun_of_the_same_work_makes_no_calls_and_yields_the_same_rows()
    {
        using var cache = ResponseCache.Open(CachePath);
        var first = await RunAsync(cache, new ChatOptions { Temperature = 0.5f }, generations: 2);
        Assert.That(Server.RequestCount, Is.EqualTo(100));
        Assert.That(cache.Count, Is.EqualTo(100), "each generation is cached on its own");
        Server.ResetStatistics();

        var second = await RunAsync(cache, new ChatOptions { Temperature = 0.5f }, generations: 2);

        Assert.That(Server.RequestCount, Is.Zero);
        Assert.That(second.Select(r => r.ToJsonString()), Is.EqualTo(first.Select(r => r.ToJsonString())));
    }

    [Test]
    public async Task The_cache_survives_the_process_that_wrote_it()
    {
        using (var cache = ResponseCache.Open(CachePath)) await RunAsync(cache);
        Server.ResetStatistics();

        using var reopened = ResponseCache.Open(CachePath);
        await RunAsync(reopened);

        Assert.That(Server.RequestCount, Is.Zero);
    }

    [Test]
    public async Task A_change_of_temperature_misses_the_cache()
    {
        using var cache = ResponseCache.Open(CachePath);
        await RunAsync(cache, new ChatOptions { Temperature = 0.5f });
        Server.ResetStatistics();

        await RunAsync(cache, new ChatOptions { Temperature = 0.9f });

        Assert.That(Server.RequestCount, Is.EqualTo(50));
    }

    [Test]
    public async Task A_change_of_template_misses_the_cache()
    {
        using var cache = ResponseCache.Open(CachePath);
        await RunAsync(cache);
        Server.ResetStatistics();

        using var llm = FakeServerClients.OpenAI(Server, cache: cache);
        var reworded = new EchoTaskReworded { Llm = llm, MaxConcurrency = 8 };
        await reworded.ProcessAsync(EchoTask.Rows(50)).ToListAsync();

        Assert.That(Server.RequestCount, Is.EqualTo(50));
    }

    [Test]
    public async Task Raising_NumGenerations_reuses_the_answers_already_cached()
    {
        using var cache = ResponseCache.Open(CachePath);
        await RunAsync(cache, generations: 1);
        Server.ResetStatistics();

        await RunAsync(cache, generations: 3);

        Assert.That(Server.RequestCount, Is.EqualTo(100), "only generations 2 and 3 are new");
    }

    [Test]
    public async Task Writers_in_parallel_lose_nothing()
    {
        using var one = ResponseCache.Open(CachePath);
        using var other = ResponseCache.Open(CachePath);

        await Task.WhenAll(Enumerable.Range(0, 400).Select(i =>
            Task.Run(() => (i % 2 == 0 ? one : other).SetStringAsync($"key {i}", $"{{\"n\":{i}}}"))));

        Assert.That(one.Count, Is.EqualTo(400));
        Assert.That(await other.GetStringAsync("key 7"), Is.EqualTo("{\"n\":7}"));
    }

    [Test]
    public void A_file_that_is_not_a_database_gives_a_clear_error()
    {
        Directory.CreateDirectory(CacheDirectory);
        File.WriteAllText(CachePath, "these are not the bytes of a SQLite database, but they are long enough to look like a header of one");

        var error = Assert.Throws<ResponseCacheException>(() => ResponseCache.Open(CachePath))!;

        Assert.That(error.Message, Does.Contain(CachePath).And.Contain("not a readable SQLite database").And.Contain("Move or delete"));
    }

    [Test]
    public void Another_programs_database_is_not_taken_over()
    {
        Directory.CreateDirectory(CacheDirectory);
        using (var other = new SqliteConnection($"Data Source={CachePath};Pooling=False"))
        {
            other.Open();
            using var command = other.CreateCommand();
            command.CommandText = "CREATE TABLE invoices (id INTEGER PRIMARY KEY)";
            command.ExecuteNonQuery();
        }

        Assert.That(() => ResponseCache.Open(CachePath),
            Throws.TypeOf<ResponseCacheException>().With.Message.Contains("another program"));
    }

    [Test]
    public async Task An_entry_that_no_longer_reads_is_asked_for_again_and_replaced()
    {
        using var cache = ResponseCache.Open(CachePath);
        await RunAsync(cache);
        using (var connection = new SqliteConnection($"Data Source={CachePath};Pooling=False"))
        {
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = "UPDATE entries SET value = CAST('{not json' AS BLOB)";
            command.ExecuteNonQuery();
        }
        Server.ResetStatistics();

        var rows = await RunAsync(cache);
        Assert.That(Server.RequestCount, Is.EqualTo(50));
        Assert.That(rows.Select(r => r["echo"]), Is.All.Not.Null);

        Server.ResetStatistics();
        await RunAsync(cache);
        Assert.That(Server.RequestCount, Is.Zero, "the new answers replaced the damaged ones");
    }

    [Test]
    public void A_file_locked_by_another_process_gives_a_clear_error()
    {
        using (ResponseCache.Open(CachePath)) { }
        using var holder = new SqliteConnection($"Data Source={CachePath};Pooling=False");
        holder.Open();
        using var command = holder.CreateCommand();
        command.CommandText = "PRAGMA locking_mode = EXCLUSIVE; BEGIN EXCLUSIVE;";
        command.ExecuteNonQuery();

        var error = Assert.Throws<ResponseCacheException>(() => ResponseCache.Open(CachePath, busyTimeout: TimeSpan.FromSeconds(1)))!;

        Assert.That(error.Message, Does.Contain(CachePath).And.Contain("locked"));
    }

    [Test]
    public async Task A_cache_that_fails_mid_run_costs_no_answers()
    {
        var logger = new ListLogger();
        using var cache = ResponseCache.Open(CachePath);
        using var llm = FakeServerClients.Factory(Server, logger, cache: cache).Create("openai:fake-model");
        // Break the file under the running cache: reads and writes now fail.
        SqliteConnection.ClearAllPools();
        File.WriteAllText(CachePath, new string('x', 8192));
        File.Delete(CachePath + "-wal");
        var task = new EchoTask { Llm = llm };

        var rows = await task.ProcessAsync(EchoTask.Rows(3)).ToListAsync();

        Assert.That(rows.Select(r => (string?)r["echo"]), Is.EqualTo(new[] { "0", "1", "2" }));
        Assert.That(logger.Warnings, Has.Some.Contains("could not be read").And.Some.Contains("could not be stored"));
    }
}

/// <summary>The response cache over other stores, its expiry, and files of the first format.</summary>
public class DistributedResponseCacheTests : FakeServerTests
{
    private TempFolder _temp = null!;

    [SetUp]
    public void Start()
    {
        Server.Reply = FakeReplies.Answering(EchoTask.Answer);
        _temp = new TempFolder("distil-cache-");
    }

    [TearDown]
    public void Stop()
    {
        SqliteConnection.ClearAllPools();
        _temp.Dispose();
    }

    private string CachePath => Path.Combine(_temp.Path, "responses.db");

    private async Task<List<JsonObject>> RunAsync(IDistributedCache cache, DistributedCacheEntryOptions? expiry = null)
    {
        var factory = FakeServerClients.Factory(Server);
        factory.Cache = cache;
        factory.CacheEntryOptions = expiry;
        using var llm = factory.Create("openai:fake-model");
        return await new EchoTask { Llm = llm, MaxConcurrency = 8 }.ProcessAsync(EchoTask.Rows(20)).ToListAsync();
    }

    [Test]
    public async Task Over_a_memory_distributed_cache_a_rerun_makes_no_calls()
    {
        var memory = new MemoryDistributedCache(Options.Create(new MemoryDistributedCacheOptions()));
        var first = await RunAsync(memory);
        Assert.That(Server.RequestCount, Is.EqualTo(20));
        Server.ResetStatistics();

        var second = await RunAsync(memory);

        Assert.That(Server.RequestCount, Is.Zero);
        Assert.That(second.Select(r => r.ToJsonString()), Is.EqualTo(first.Select(r => r.ToJsonString())));
    }

    [Test]
    public async Task UseResponseCache_without_a_cache_takes_the_services_IDistributedCache()
    {
        var services = new ServiceCollection().AddDistributedMemoryCache();
        services.AddChatClient(_ => FakeServerClients.Factory(Server).Create("openai:fake-model")).UseResponseCache();
        await using var provider = services.BuildServiceProvider();
        var llm = provider.GetRequiredService<IChatClient>();

        await llm.GetResponseAsync("the same question");
        await llm.GetResponseAsync("the same question");

        Assert.That(Server.RequestCount, Is.EqualTo(1));
        Assert.That(llm.GetService<ResponseCachingChatClient>()!.Hits, Is.EqualTo(1));
    }

    [Test]
    public void UseResponseCache_without_any_cache_says_what_to_register()
    {
        var builder = new ChatClientBuilder(new ScriptedChatClient("x")).UseResponseCache();

        Assert.That(() => builder.Build(), Throws.InvalidOperationException.With.Message.Contains("AddDistributedMemoryCache"));
    }

    [Test]
    public async Task A_cache_that_throws_costs_no_answers_and_says_so()
    {
        var logger = new ListLogger();
        var factory = FakeServerClients.Factory(Server, logger);
        factory.Cache = new BrokenCache();
        using var llm = factory.Create("openai:fake-model");

        var rows = await new EchoTask { Llm = llm }.ProcessAsync(EchoTask.Rows(2)).ToListAsync();

        Assert.That(rows.Select(r => (string?)r["echo"]), Is.EqualTo(new[] { "0", "1" }));
        Assert.That(logger.Warnings, Has.Some.Contains("could not be read").And.Some.Contains("TimeoutException: the cache server is gone"));
    }

    [Test]
    public async Task An_answer_past_its_expiry_is_asked_for_again()
    {
        var clock = new ManualClock();
        using var cache = ResponseCache.Open(CachePath, time: clock);
        await RunAsync(cache, new DistributedCacheEntryOptions { AbsoluteExpirationRelativeToNow = TimeSpan.FromHours(1) });
        Server.ResetStatistics();

        clock.Advance(TimeSpan.FromMinutes(59));
        await RunAsync(cache);
        Assert.That(Server.RequestCount, Is.Zero, "still fresh");

        clock.Advance(TimeSpan.FromMinutes(2));
        await RunAsync(cache);
        Assert.That(Server.RequestCount, Is.EqualTo(20), "expired after an hour");
        Assert.That(await cache.RemoveExpiredAsync(), Is.Zero, "the new answers replaced the expired ones and keep no expiry");
    }

    [Test]
    public async Task A_sliding_entry_lives_while_it_is_read()
    {
        var clock = new ManualClock();
        using var cache = ResponseCache.Open(CachePath, time: clock);
        await cache.SetStringAsync("k", "v", new DistributedCacheEntryOptions { SlidingExpiration = TimeSpan.FromMinutes(10) });

        for (var i = 0; i < 5; i++)
        {
            clock.Advance(TimeSpan.FromMinutes(8));
            Assert.That(await cache.GetStringAsync("k"), Is.EqualTo("v"), $"read {i}, 8 minutes after the last one");
        }
        clock.Advance(TimeSpan.FromMinutes(8));
        await cache.RefreshAsync("k");
        clock.Advance(TimeSpan.FromMinutes(11));

        Assert.That(await cache.GetStringAsync("k"), Is.Null);
        Assert.That(await cache.RemoveExpiredAsync(), Is.EqualTo(1));
        Assert.That(cache.Count, Is.Zero);
    }

    [Test]
    public async Task A_cache_file_of_the_first_format_keeps_its_answers()
    {
        using (var cache = ResponseCache.Open(CachePath)) await RunAsync(cache);
        SqliteConnection.ClearAllPools();
        // Turn the file back into the first format: a 'responses' table of JSON text, user_version 1.
        using (var connection = new SqliteConnection($"Data Source={CachePath};Pooling=False"))
        {
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText =
                "CREATE TABLE responses (key TEXT PRIMARY KEY, response TEXT NOT NULL, created_at TEXT NOT NULL);" +
                "INSERT INTO responses SELECT key, CAST(value AS TEXT), created_at FROM entries; DROP TABLE entries; PRAGMA user_version = 1;";
            command.ExecuteNonQuery();
        }
        Server.ResetStatistics();

        using var reopened = ResponseCache.Open(CachePath);
        await RunAsync(reopened);

        Assert.That(Server.RequestCount, Is.Zero, "every answer of the old file was carried over");
        Assert.That(reopened.Count, Is.EqualTo(20));
    }

    private sealed class ManualClock : TimeProvider
    {
        private DateTimeOffset _now = new(2026, 12, 1, 12, 0, 0, TimeSpan.Zero);

        public override DateTimeOffset GetUtcNow() => _now;

        public void Advance(TimeSpan by) => _now += by;
    }

    /// <summary>A remote cache whose server has gone away.</summary>
    private sealed class BrokenCache : IDistributedCache
    {
        public byte[]? Get(string key) => throw new TimeoutException("the cache server is gone");

        public Task<byte[]?> GetAsync(string key, CancellationToken token = default) => throw new TimeoutException("the cache server is gone");

        public void Refresh(string key) => throw new TimeoutException("the cache server is gone");

        public Task RefreshAsync(string key, CancellationToken token = default) => throw new TimeoutException("the cache server is gone");

        public void Remove(string key) => throw new TimeoutException("the cache server is gone");

        public Task RemoveAsync(string key, CancellationToken token = default) => throw new TimeoutException("the cache server is gone");

        public void Set(string key, byte[] value, DistributedCacheEntryOptions options) => throw new TimeoutException("the cache server is gone");

        public Task SetAsync(string key, byte[] value, DistributedCacheEntryOptions options, CancellationToken token = default) =>
            throw new TimeoutException("the cache server is gone");
    }
}

/// <summary>The echo task with other words in its prompt: a changed template.</summary>
[Task("echo")]
[UserPrompt("Please echo item {{ id }}: {{ text }}")]
public sealed partial class EchoTaskReworded : LlmTask<EchoTask.Input, EchoTask.Output>;
