using Npgsql;
using StackExchange.Redis;

namespace Bench;

/// <summary>Operations the servers themselves count: Redis commands (INFO commandstats), Postgres transactions.</summary>
public sealed class DependencyCounters(string redisConnectionString, string postgresConnectionString)
{
    public async Task<(long Redis, long Postgres)> ReadAsync()
    {
        await using var redis = await ConnectionMultiplexer.ConnectAsync(redisConnectionString + ",allowAdmin=true");
        var stats = (await redis.GetServers().Single().InfoAsync("commandstats")).SelectMany(group => group);
        // cmdstat_x: calls=N,usec=...; the INFO call itself is counted too, once per read, on both sides of a window.
        var redisCalls = stats.Sum(s => long.Parse(s.Value.Split(',')[0].Split('=')[1], System.Globalization.CultureInfo.InvariantCulture));

        await using var postgres = new NpgsqlConnection(postgresConnectionString);
        await postgres.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT sum(xact_commit + xact_rollback)::bigint FROM pg_stat_database", postgres);
        return (redisCalls, (long)(await command.ExecuteScalarAsync())!);
    }

    /// <summary>Operations per second on each server while <paramref name="during"/> runs.</summary>
    public async Task<(double Redis, double Postgres)> RateAsync(Func<Task> during)
    {
        var before = await ReadAsync();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        await during();
        // Postgres publishes its counters about once a second.
        await Task.Delay(TimeSpan.FromSeconds(1.5));
        var after = await ReadAsync();
        var seconds = clock.Elapsed.TotalSeconds;
        return ((after.Redis - before.Redis) / seconds, (after.Postgres - before.Postgres) / seconds);
    }
}
