using Aspire.Hosting.ApplicationModel;

namespace AppHost.BackingServices;

/// <summary>The official Aspire hosting integrations, run as containers.</summary>
public sealed class ContainerBackingServices(IDistributedApplicationBuilder builder, BackingServiceCredentials credentials) : IBackingServices
{
    public BackingServiceMode Mode => BackingServiceMode.Containers;

    public IResourceBuilder<IResourceWithConnectionString> AddRabbitMQ(string name) =>
        builder.AddRabbitMQ(name, credentials.UserName(name), credentials.Password(name));

    public IResourceBuilder<IResourceWithConnectionString> AddRedis(string name) =>
        builder.AddRedis(name, password: credentials.Password(name));

    public IResourceBuilder<IResourceWithConnectionString> AddPostgresDatabase(string serverName, string databaseName) =>
        builder.AddPostgres(serverName, password: credentials.Password(serverName)).AddDatabase(databaseName);
}
