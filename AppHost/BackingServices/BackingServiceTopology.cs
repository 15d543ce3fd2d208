using System.Globalization;
using Microsoft.Extensions.Configuration;

namespace AppHost.BackingServices;

/// <summary>
/// How many servers the broker and the database run as: a RabbitMQ cluster of up to three nodes, and a PostgreSQL
/// primary with a synchronous streaming standby. Both exist to run failovers against, with the servers as local
/// processes; a container or a manifest describes one server each, and a real deployment gets its cluster from an
/// operator (README: Failover).
/// </summary>
public sealed record BackingServiceTopology(int BrokerNodes, bool DatabaseStandby)
{
    public const string BrokerNodesKey = "BackingServices:RabbitMQ:Nodes";
    public const string DatabaseStandbyKey = "BackingServices:Postgres:Standby";

    private const int MaxBrokerNodes = 3;

    public static BackingServiceTopology Read(IConfiguration configuration)
    {
        var nodesText = configuration[BrokerNodesKey];
        var nodes = nodesText is null ? 1
            : int.TryParse(nodesText, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n is >= 1 and <= MaxBrokerNodes ? n
            : throw new InvalidOperationException($"{BrokerNodesKey} is '{nodesText}', but it must be 1-{MaxBrokerNodes}.");

        var standbyText = configuration[DatabaseStandbyKey];
        var standby = standbyText is null ? false
            : bool.TryParse(standbyText, out var s) ? s
            : throw new InvalidOperationException($"{DatabaseStandbyKey} is '{standbyText}', but it must be true or false.");

        return new BackingServiceTopology(nodes, standby);
    }

    /// <summary>Refuses a cluster or a standby where the servers are containers: <paramref name="where"/> says which.</summary>
    public void RequireSingleServers(string where)
    {
        if (BrokerNodes > 1)
        {
            throw new InvalidOperationException(
                $"{BrokerNodesKey} is {BrokerNodes}, but {where} run one broker node: a cluster runs with the servers as local processes " +
                "(BackingServices:Mode=processes). A deployment gets its cluster from an operator (README: Failover).");
        }

        if (DatabaseStandby)
        {
            throw new InvalidOperationException(
                $"{DatabaseStandbyKey} is true, but {where} run one database server: a standby runs with the servers as local processes " +
                "(BackingServices:Mode=processes). A deployment gets its standby from a managed PostgreSQL or an operator (README: Failover).");
        }
    }
}
