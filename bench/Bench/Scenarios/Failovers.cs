using Harness;

namespace Bench.Scenarios;

/// <summary>
/// R1 through a failover, on an app whose broker is a three-node cluster and whose database has a synchronous
/// standby: the node leading the work queue crashes, then the database's primary does and its standby is promoted.
/// The same stream and counts as every other R1 fault (<see cref="FaultStream"/>).
/// </summary>
public sealed class Failovers(BenchApp app, int count, double ratePerSecond)
{
    private const string WorkQueue = "work";
    private static readonly TimeSpan OperatorDecidesIn = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan SettleWithin = TimeSpan.FromSeconds(90);

    // The AppHost's names for the nodes of a three-node cluster.
    private static readonly string[] Nodes = ["rabbitmq", "rabbitmq-node2", "rabbitmq-node3"];

    /// <summary>
    /// SIGKILL of the node that leads the work queue, over once a surviving node names a new leader; the stream's
    /// publisher uses a node that stays up.
    /// </summary>
    public async Task<IReadOnlyList<Figure>> LeaderCrashedAsync()
    {
        var leader = await app.QueueLeaderAsync(WorkQueue);
        var survivor = Nodes.First(node => node != leader);
        // Two different events for the worker: its own connection lost with the node, or only the queue's leader.
        var consumerOnLeader = await app.ConsumerNodeAsync(WorkQueue) == leader;
        var figures = await MeasureAsync(survivor, "the node leading the work queue crashed (SIGKILL), a cluster of 3", async () =>
        {
            await app.CrashAsync(leader);
            await Within.UntilAsync(async () => await LeaderOrNoneAsync(survivor) is { } elected && elected != leader, SettleWithin, "a new leader of the work queue");
            return false;
        });
        await app.ExecuteCommandAsync(leader, "resource-start");
        await Within.UntilAsync(async () => (await app.RunningNodesAsync(survivor)).SetEquals(Nodes), SettleWithin, "the crashed node back in the cluster");
        await app.WaitForHealthyAsync("worker");
        return [.. figures, new("R1", "the node leading the work queue crashed: the worker consumed from that node (1) or another (0)", consumerOnLeader ? 1 : 0, "", null, "—", "record", null)];
    }

    /// <summary>SIGKILL of the database's primary, and its standby promoted 5 s later, as an operator or Patroni would.</summary>
    public Task<IReadOnlyList<Figure>> PrimaryCrashedAsync() =>
        MeasureAsync("rabbitmq", $"the database primary crashed (SIGKILL), its standby promoted {OperatorDecidesIn.TotalSeconds:0} s later", async () =>
        {
            await app.CrashAsync("postgres");
            await Task.Delay(OperatorDecidesIn);
            await app.PromoteStandbyAsync();
            return false;
        });

    /// <summary>The stream of R1 with <paramref name="inject"/> in its middle, published through <paramref name="brokerNode"/>.</summary>
    private async Task<IReadOnlyList<Figure>> MeasureAsync(string brokerNode, string name, Func<Task<bool>> inject)
    {
        var broker = new Broker(await app.ConnectionStringAsync(brokerNode));
        // Not pooled: an idle connection to the crashed primary would fail the bench's first count after the failover.
        var store = new Store(await app.ConnectionStringAsync("workerdb") + ";Pooling=false");
        return await new FaultStream(app, broker, store, count, ratePerSecond).MeasureAsync(name, inject);
    }

    // rabbitmqctl may find no leader, or fail, while the queue elects one.
    private async Task<string?> LeaderOrNoneAsync(string askNode)
    {
        try
        {
            return await app.QueueLeaderAsync(WorkQueue, askNode);
        }
        catch (Exception e) when (e is InvalidOperationException or FormatException)
        {
            return null;
        }
    }
}
