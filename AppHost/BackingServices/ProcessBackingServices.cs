using Aspire.Hosting.ApplicationModel;

namespace AppHost.BackingServices;

/// <summary>
/// The distribution's servers as local processes, for machines without a container engine. The model then holds no
/// container at all: DCP would otherwise wait for an engine and fail. The worker gets a database role and a broker
/// user of its own that are not superusers; the integrations refuse credentials their config files cannot carry. The
/// broker may be a cluster and the database may have a standby (<see cref="BackingServiceTopology"/>).
/// </summary>
public sealed class ProcessBackingServices(IDistributedApplicationBuilder builder, BackingServiceCredentials credentials, BackingServiceTopology topology)
    : IBackingServices
{
    public IResourceBuilder<IResourceWithConnectionString> AddRabbitMQ(string name) =>
        builder.AddLocalRabbitMQ(name, credentials.UserName(name), credentials.Password(name), BrokerMessageLimit.Read(builder.Configuration), topology.BrokerNodes);

    public IResourceBuilder<IResourceWithConnectionString> AddRedis(string name) =>
        builder.AddLocalRedis(name, credentials.Password(name));

    public IResourceBuilder<IResourceWithConnectionString> AddPostgresDatabase(string serverName, string databaseName) =>
        builder.AddLocalPostgres(serverName, credentials.Password(serverName), topology.DatabaseStandby)
            .AddDatabase(databaseName, owner: BackingServiceCredentials.WorkerUserName, ownerPassword: credentials.Password(databaseName));
}
