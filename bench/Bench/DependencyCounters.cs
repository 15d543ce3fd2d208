using System.Diagnostics;
using Npgsql;
using StackExchange.Redis;
using Harness;

namespace Bench;

/// <summary>
/// Operations the servers themselves count: Redis commands (INFO commandstats), Postgres transactions in the worker's
/// database (pg_stat_database), and the broker's open channels (rabbitmqctl, when the broker is a local process).
/// </summary>
public sealed class DependencyCounters(string redisConnectionString, string postgresConnectionString, Func<int> brokerProcessId) : IAsyncDisposable
{
    private const int Attempts = 3;
    private ConnectionMultiplexer? _redis;

    public async Task<(long Redis, long Postgres)> ReadAsync()
    {
        // A read right after a load run can meet a server still busy with its backlog: retry before giving up.
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return (await RedisCallsAsync(), await PostgresTransactionsAsync());
            }
            catch (Exception e) when (attempt < Attempts && e is RedisException or NpgsqlException or TimeoutException)
            {
                Console.Error.WriteLine($"bench: reading the servers' counters failed ({e.Message}); retrying");
                await Task.Delay(TimeSpan.FromSeconds(2));
            }
        }
    }

    /// <summary>Operations per second on each server while <paramref name="during"/> runs.</summary>
    public async Task<(double Redis, double Postgres)> RateAsync(Func<Task> during)
    {
        var before = await ReadAsync();
        var clock = Stopwatch.StartNew();
        await during();
        // Postgres publishes its counters about once a second.
        await Task.Delay(TimeSpan.FromSeconds(1.5));
        var after = await ReadAsync();
        var seconds = clock.Elapsed.TotalSeconds;
        return ((after.Redis - before.Redis) / seconds, (after.Postgres - before.Postgres) / seconds);
    }

    /// <summary>
    /// Channels open on the broker now, read with rabbitmqctl as the broker's own user would (its node name, cookie home
    /// and port mapper come from the broker process's environment). NaN when the broker is not a local process.
    /// </summary>
    public async Task<double> BrokerChannelsAsync()
    {
        var beam = LocalBroker.BeamProcess(brokerProcessId());
        return beam == 0
            ? double.NaN
            : (await LocalBroker.CtlAsync(beam, "list_channels", "pid")).Split('\n').Count(line => line.StartsWith('<'));
    }

    public async ValueTask DisposeAsync()
    {
        if (_redis is not null)
        {
            await _redis.DisposeAsync();
        }
    }

    private async Task<long> RedisCallsAsync()
    {
        _redis ??= await ConnectionMultiplexer.ConnectAsync(redisConnectionString + ",allowAdmin=true,connectTimeout=15000");
        var stats = (await _redis.GetServers().Single().InfoAsync("commandstats")).SelectMany(group => group);
        // cmdstat_x: calls=N,usec=...; the INFO call itself is counted too, once per read, on both sides of a window.
        return stats.Sum(s => long.Parse(s.Value.Split(',')[0].Split('=')[1], System.Globalization.CultureInfo.InvariantCulture));
    }

    private async Task<long> PostgresTransactionsAsync()
    {
        await using var postgres = new NpgsqlConnection(postgresConnectionString);
        await postgres.OpenAsync();
        // The worker's database only: autovacuum passing through the server's other databases is not the worker's doing.
        await using var command = new NpgsqlCommand("SELECT (xact_commit + xact_rollback)::bigint FROM pg_stat_database WHERE datname = current_database()", postgres);
        return (long)(await command.ExecuteScalarAsync())!;
    }
}
