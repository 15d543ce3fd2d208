using Microsoft.Extensions.Options;
using StackExchange.Redis;
using Worker.Messaging;

namespace Worker.Storage;

/// <summary>Remembers which ids were stored, so that only those are looked up as likely duplicates. It may forget.</summary>
public interface IDedupCache
{
    Task<IReadOnlySet<string>> FindStoredAsync(IReadOnlyCollection<string> ids);

    /// <summary>Marks ids whose rows are committed; a mark Redis does not take is given up, never thrown.</summary>
    Task MarkStoredAsync(IReadOnlyCollection<string> ids, TimeSpan ttl);
}

/// <summary>
/// Redis as the hint for duplicates: an id is marked (SET NX with a TTL) only after its row is committed. A mark is
/// confirmed against PostgreSQL before it counts, since the database can forget a row that Redis still marks; Redis
/// losing its keys only costs a write that ON CONFLICT skips, never a message.
/// </summary>
public sealed class DedupCache(IServiceProvider services, IOptions<MessagingOptions> options, SchemaMigrator database, DedupMarkWrites marks, TimeProvider time) : IDedupCache
{
    // Marks are written after the commit and are only hints: a Redis slower than this gives them up rather than hold
    // a batch whose rows are stored (a healthy one takes a millisecond for a batch).
    private static readonly TimeSpan MarkBound = TimeSpan.FromSeconds(2);

    // One command for a batch's marks instead of one SET per id: each command costs the client an allocation, a task
    // and a profiled command for the tracing instrumentation: 256 of them took 3-6 ms a batch, half the insert's time
    // (bench/PROFILE.md). A Redis that refuses writes (over its maxmemory under noeviction, a read-only replica) fails the
    // script at its first SET, and its reply names why; one just under maxmemory takes the whole batch's marks.
    private const string MarkScript = "for i = 1, #KEYS do redis.call('SET', KEYS[i], '1', 'NX', 'PX', ARGV[1]) end return #KEYS";

    // Aspire's multiplexer connects synchronously when first resolved, for up to its connect timeout while Redis is
    // down; resolving it on first use keeps that wait inside a bounded batch attempt instead of the host's start.
    // PublicationOnly: a failed first resolution is tried again by the next attempt, not cached for good.
    private readonly Lazy<IConnectionMultiplexer> _redis = new(services.GetRequiredService<IConnectionMultiplexer>, LazyThreadSafetyMode.PublicationOnly);

    /// <summary>The ids Redis says are already stored.</summary>
    public async Task<IReadOnlySet<string>> FindStoredAsync(IReadOnlyCollection<string> ids)
    {
        if (ids.Count == 0 || Prefix() is not { } prefix)
        {
            return new HashSet<string>();
        }

        var keys = ids.Select(id => (RedisKey)(prefix + id)).ToArray();
        var values = await (await DatabaseAsync()).StringGetAsync(keys);
        return ids.Zip(values).Where(pair => pair.Second.HasValue).Select(pair => pair.First).ToHashSet(StringComparer.Ordinal);
    }

    public async Task MarkStoredAsync(IReadOnlyCollection<string> ids, TimeSpan ttl)
    {
        if (ids.Count == 0 || Prefix() is not { } prefix)
        {
            return;
        }

        try
        {
            var redis = await DatabaseAsync();
            RedisKey[] keys = [.. ids.Select(id => (RedisKey)(prefix + id))];
            await redis.ScriptEvaluateAsync(MarkScript, keys, [(long)ttl.TotalMilliseconds]).WaitAsync(MarkBound, time);
            marks.Written();
        }
        catch (Exception ex) when (ex is RedisException or RedisCommandException or TimeoutException or ObjectDisposedException)
        {
            marks.Failed(ex);
        }
    }

    private Task<IDatabase> DatabaseAsync() =>
        _redis.IsValueCreated ? Task.FromResult(_redis.Value.GetDatabase()) : Task.Run(() => _redis.Value.GetDatabase());

    // Deployments that share one Redis must not see each other's marks: each would take the other's ids for its own
    // and read its database for nothing. The key names the deployment by its queue and its database's own id, since
    // two clusters deployed from the same manifests have the same host, port and database names.
    // The consumer migrates before it consumes, so a batch always has it; one without would only go without hints.
    private string? Prefix() => database.DeploymentId is { } id ? KeyPrefix(options.Value.Queue, id) : null;

    /// <summary><c>worker:stored:{queue}:{database's id}:</c>, before each id.</summary>
    public static string KeyPrefix(string queue, Guid deploymentId) => $"worker:stored:{queue}:{deploymentId:N}:";
}
