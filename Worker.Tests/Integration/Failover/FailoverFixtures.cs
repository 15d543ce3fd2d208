namespace Worker.Tests.Integration.Failover;

/// <summary>
/// An app whose broker is a three-node cluster. Its worker counts a consumer as lost after 10 s instead of 2 minutes,
/// so that a test sees, within its bound, that liveness stays 204 where a restart cannot help.
/// </summary>
public sealed class BrokerClusterFixture : AppFixture
{
    public static readonly TimeSpan ConsumerLostThreshold = TimeSpan.FromSeconds(10);

    public static readonly IReadOnlyList<string> Nodes = ["rabbitmq", "rabbitmq-node2", "rabbitmq-node3"];

    protected override string[] Arguments => ["--BackingServices:Mode=processes", "--BackingServices:RabbitMQ:Nodes=3"];

    protected override IEnumerable<(string Key, string Value)> WorkerEnvironment =>
        [.. base.WorkerEnvironment, ("Messaging__ConsumerLostThreshold", ConsumerLostThreshold.ToString("c"))];

    protected override bool Dashboard => false;
}

/// <summary>An app whose database is a primary with a synchronous standby; its failover test ends with the standby as the primary.</summary>
public sealed class DatabaseStandbyFixture : AppFixture
{
    protected override string[] Arguments => ["--BackingServices:Mode=processes", "--BackingServices:Postgres:Standby=true"];

    protected override bool Dashboard => false;
}

[CollectionDefinition(nameof(BrokerClusterCollection))]
public sealed class BrokerClusterCollection : ICollectionFixture<BrokerClusterFixture>;

[CollectionDefinition(nameof(DatabaseStandbyCollection))]
public sealed class DatabaseStandbyCollection : ICollectionFixture<DatabaseStandbyFixture>;
