using StackExchange.Redis;

namespace Worker.Storage;

/// <summary>Remembers which ids are stored, to skip their duplicates cheaply. It may forget; it must never lie.</summary>
public interface IDedupCache
{
    Task<IReadOnlySet<string>> FindStoredAsync(IReadOnlyCollection<string> ids);

    Task MarkStoredAsync(IReadOnlyCollection<string> ids, TimeSpan ttl);
}

/// <summary>
/// Redis as the fast path for duplicates: an id is marked (SET NX with a TTL) only after its row is committed, so a
/// mark always means "stored". Redis losing its keys only costs a trip to Postgres, never a message.
/// </summary>
public sealed class DedupCache(IServiceProvider services) : IDedupCache
{
    private const string Prefix = "worker:stored:";

    // Aspire's multiplexer connects synchronously when first resolved, for up to its connect timeout while Redis is
    // down; resolving it on first use keeps that wait inside a bounded batch attempt instead of the host's start.
    // PublicationOnly: a failed first resolution is tried again by the next attempt, not cached for good.
    private readonly Lazy<IConnectionMultiplexer> _redis = new(services.GetRequiredService<IConnectionMultiplexer>, LazyThreadSafetyMode.PublicationOnly);

    /// <summary>The ids Redis says are already stored.</summary>
    public async Task<IReadOnlySet<string>> FindStoredAsync(IReadOnlyCollection<string> ids)
    {
        if (ids.Count == 0)
        {
            return new HashSet<string>();
        }

        var keys = ids.Select(Key).ToArray();
        var values = await (await DatabaseAsync()).StringGetAsync(keys);
        return ids.Zip(values).Where(pair => pair.Second.HasValue).Select(pair => pair.First).ToHashSet(StringComparer.Ordinal);
    }

    public async Task MarkStoredAsync(IReadOnlyCollection<string> ids, TimeSpan ttl)
    {
        if (ids.Count == 0)
        {
            return;
        }

        var batch = (await DatabaseAsync()).CreateBatch();
        var writes = ids.Select(id => batch.StringSetAsync(Key(id), 1, ttl, When.NotExists)).ToList();
        batch.Execute();
        await Task.WhenAll(writes);
    }

    private Task<IDatabase> DatabaseAsync() =>
        _redis.IsValueCreated ? Task.FromResult(_redis.Value.GetDatabase()) : Task.Run(() => _redis.Value.GetDatabase());

    private static RedisKey Key(string id) => Prefix + id;
}
