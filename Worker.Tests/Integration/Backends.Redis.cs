using StackExchange.Redis;

namespace Worker.Tests.Integration;

/// <summary>The running app's Redis, as its administrator (redis-cli) would see it.</summary>
public sealed partial class Backends
{
    /// <summary>Runs one command on Redis as its administrator, as an operator's redis-cli would.</summary>
    public async Task<RedisResult> RedisCommandAsync(string command, params object[] args)
    {
        await using var redis = await ConnectionMultiplexer.ConnectAsync(await ConnectionStringAsync("redis") + ",allowAdmin=true");
        return await redis.GetServers().Single().ExecuteAsync(command, args);
    }

    /// <summary>How many keys Redis holds that start with <paramref name="prefix"/>.</summary>
    public async Task<int> RedisKeysAsync(string prefix)
    {
        await using var redis = await ConnectionMultiplexer.ConnectAsync(await ConnectionStringAsync("redis"));
        return await redis.GetServers().Single().KeysAsync(pattern: prefix + "*").CountAsync();
    }

    /// <summary>The time to live of each key that starts with <paramref name="prefix"/>; a key without one has none.</summary>
    public async Task<List<TimeSpan?>> RedisTimesToLiveAsync(string prefix)
    {
        await using var redis = await ConnectionMultiplexer.ConnectAsync(await ConnectionStringAsync("redis"));
        var database = redis.GetDatabase();
        var keys = await redis.GetServers().Single().KeysAsync(pattern: prefix + "*").ToListAsync();
        return [.. await Task.WhenAll(keys.Select(key => database.KeyTimeToLiveAsync(key)))];
    }

    public async Task FlushRedisAsync()
    {
        await using var redis = await ConnectionMultiplexer.ConnectAsync(await ConnectionStringAsync("redis") + ",allowAdmin=true");
        await redis.GetServers().Single().FlushAllDatabasesAsync();
    }
}
