using StackExchange.Redis;

namespace Bench.Scenarios;

/// <summary>
/// R5: the drain while Redis answers but refuses writes (out of memory under noeviction; a read-only replica), against
/// the same drain with Redis healthy, back to back. The worker then skips duplicates by PostgreSQL alone.
/// </summary>
public sealed class RedisRefusingWrites(Drain drain, string redisConnectionString)
{
    private static readonly (string Name, string[] Refuse, string[] Accept)[] Refusals =
    [
        ("out of memory (maxmemory 1, noeviction)", ["CONFIG", "SET", "maxmemory", "1"], ["CONFIG", "SET", "maxmemory", "0"]),
        ("a read-only replica (REPLICAOF a primary that is not there)", ["REPLICAOF", "127.0.0.1", "1"], ["REPLICAOF", "NO", "ONE"]),
    ];

    public async Task<IReadOnlyList<Figure>> MeasureAsync(int count)
    {
        await using var redis = await ConnectionMultiplexer.ConnectAsync(redisConnectionString + ",allowAdmin=true");
        var server = redis.GetServers().Single();
        var policy = (string[])(await server.ExecuteAsync("CONFIG", "GET", "maxmemory-policy"))!;
        await server.ExecuteAsync("CONFIG", "SET", "maxmemory-policy", "noeviction");
        // A first drain warms the worker's start and the broker, so that the healthy one is not measured cold.
        await drain.WorkerAsync(count / 5);
        var (healthy, _) = await drain.WorkerAsync(count);
        var figures = new List<Figure>();
        foreach (var (name, refuse, accept) in Refusals)
        {
            await server.ExecuteAsync(refuse[0], refuse[1..]);
            double rate;
            try
            {
                (rate, _) = await drain.WorkerAsync(count);
            }
            finally
            {
                await server.ExecuteAsync(accept[0], accept[1..]);
            }

            figures.Add(new("R5", $"drain rate while Redis refuses writes: {name}", rate, "msg/s", healthy, "the same drain, Redis healthy", "≥ 0.8×", rate >= 0.8 * healthy));
        }

        await server.ExecuteAsync("CONFIG", "SET", "maxmemory-policy", policy[1]);
        return figures;
    }
}
