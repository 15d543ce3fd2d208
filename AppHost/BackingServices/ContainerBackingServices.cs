using AppHost.BackingServices.Aspirate;
using Aspire.Hosting.ApplicationModel;

namespace AppHost.BackingServices;

/// <summary>The official Aspire hosting integrations, run as containers, with aspirate's workarounds (Aspirate/).</summary>
public sealed class ContainerBackingServices(IDistributedApplicationBuilder builder, BackingServiceCredentials credentials) : IBackingServices
{
    public IResourceBuilder<IResourceWithConnectionString> AddRabbitMQ(string name)
    {
        var rabbitmq = builder.AddRabbitMQ(name, credentials.UserName(name), credentials.Password(name));
        return builder.ExecutionContext.IsPublishMode ? PortableRabbitMQServerResource.Replace(builder, rabbitmq) : rabbitmq;
    }

    public IResourceBuilder<IResourceWithConnectionString> AddRedis(string name)
    {
        var password = credentials.Password(name);
        return PortableRedisConnectionString.Redirect(builder.AddRedis(name, password: password), password);
    }

    public IResourceBuilder<IResourceWithConnectionString> AddPostgresDatabase(string serverName, string databaseName) =>
        builder.AddPostgres(serverName, password: credentials.Password(serverName)).AddDatabase(databaseName);
}
