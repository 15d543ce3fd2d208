using System.Text.Json;
using Npgsql;

namespace Harness;

/// <summary>
/// What an operator, or Patroni, does to the app's local servers in a failover: crash a server, find the node that
/// leads a quorum queue, promote the database's standby.
/// </summary>
public static class Failover
{
    private static readonly TimeSpan PromoteWithin = TimeSpan.FromSeconds(60);

    /// <summary>Crashes a local server: SIGKILL of its processes, which leaves its data as a power cut would.</summary>
    public static Task CrashAsync(this RunningApp app, string resource) => ProcessTree.KillAsync(app.ProcessId(resource));

    /// <summary>The resource of the node that leads <paramref name="queue"/>, asked of the node <paramref name="askNode"/>.</summary>
    public static async Task<string> QueueLeaderAsync(this RunningApp app, string queue, string askNode = "rabbitmq")
    {
        var output = await app.NodeCtlAsync(askNode, "list_queues", "name", "leader");
        var leader = SecondColumnOf(output, queue) ?? throw new InvalidOperationException($"{askNode} lists no leader for {queue}: {output}");
        return ResourceOfNode(leader);
    }

    /// <summary>The resource of the node whose channel holds the consumer of <paramref name="queue"/>, asked of <paramref name="askNode"/>.</summary>
    public static async Task<string> ConsumerNodeAsync(this RunningApp app, string queue, string askNode = "rabbitmq")
    {
        var output = await app.NodeCtlAsync(askNode, "list_consumers", "queue_name", "channel_pid");
        // A pid prints as <node@host.N.N>.
        var channel = SecondColumnOf(output, queue) ?? throw new InvalidOperationException($"{askNode} lists no single consumer of {queue}: {output}");
        var pid = channel.Trim('<', '>');
        return ResourceOfNode(pid[..pid.IndexOf('.', pid.IndexOf('@', StringComparison.Ordinal))]);
    }

    // rabbitmqctl's list_* output: one tab-separated line per item, the queue's name first.
    private static string? SecondColumnOf(string output, string queue) =>
        output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(line => line.Split('\t'))
            .SingleOrDefault(columns => columns.Length == 2 && columns[0] == queue)?[1];

    /// <summary>The resources of the nodes that <paramref name="askNode"/> counts as running members of its cluster.</summary>
    public static async Task<IReadOnlySet<string>> RunningNodesAsync(this RunningApp app, string askNode)
    {
        var output = await app.NodeCtlAsync(askNode, "cluster_status", "--formatter", "json");
        using var status = JsonDocument.Parse(output);
        return status.RootElement.GetProperty("running_nodes").EnumerateArray().Select(node => ResourceOfNode(node.GetString()!)).ToHashSet();
    }

    /// <summary>The resource a node name belongs to: the AppHost names its nodes <c>{resource}-{AppHost pid}@localhost</c>.</summary>
    public static string ResourceOfNode(string nodeName)
    {
        var name = nodeName.Split('@')[0];
        var dash = name.LastIndexOf('-');
        return dash > 0 && name[(dash + 1)..].All(char.IsAsciiDigit)
            ? name[..dash]
            : throw new FormatException($"'{nodeName}' is not a node name of this app.");
    }

    /// <summary>Promotes the database's standby (the resource <c>postgres-standby</c>) and waits until it takes writes.</summary>
    public static async Task PromoteStandbyAsync(this RunningApp app)
    {
        await using var connection = new NpgsqlConnection(await app.ConnectionStringAsync("postgres-standby") + ";Pooling=false");
        await connection.OpenAsync();
        await using var promote = new NpgsqlCommand("SELECT pg_promote(true, $1)", connection)
        {
            Parameters = { new() { Value = (int)PromoteWithin.TotalSeconds } },
            CommandTimeout = (int)PromoteWithin.TotalSeconds + 10,
        };
        if (await promote.ExecuteScalarAsync() is not true)
        {
            throw new InvalidOperationException($"The standby was not promoted within {PromoteWithin.TotalSeconds} s.");
        }
    }
}
