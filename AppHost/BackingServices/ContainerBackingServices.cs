using Aspire.Hosting.ApplicationModel;

namespace AppHost.BackingServices;

/// <summary>The official Aspire hosting integrations, run as containers.</summary>
public sealed class ContainerBackingServices(IDistributedApplicationBuilder builder, BackingServiceCredentials credentials) : IBackingServices
{
    public IResourceBuilder<IResourceWithConnectionString> AddRabbitMQ(string name)
    {
        var (user, password) = (credentials.UserName(name), credentials.Password(name));
        var rabbitmq = builder.AddRabbitMQ(name, user, password);
        return builder.ExecutionContext.IsPublishMode ? PortableRabbitMQServerResource.Replace(builder, rabbitmq) : rabbitmq;
    }

    public IResourceBuilder<IResourceWithConnectionString> AddRedis(string name)
    {
        var password = credentials.Password(name);
        var redis = builder.AddRedis(name, password: password);
        // Aspire 13.6's Redis adds a conditional ",ssl=…" part (a cond-… value aspirate drops); this redirect
        // writes the same string without it, since the container serves no TLS.
        return redis.WithConnectionStringRedirection(new RedisConnectionString(
            $"{name}-connection", ReferenceExpression.Create($"{redis.GetEndpoint("tcp").Property(EndpointProperty.HostAndPort)},password={password}")));
    }

    public IResourceBuilder<IResourceWithConnectionString> AddPostgresDatabase(string serverName, string databaseName) =>
        builder.AddPostgres(serverName, password: credentials.Password(serverName)).AddDatabase(databaseName);
}

/// <summary>A connection string made only of endpoint and parameter references, which aspirate resolves.</summary>
internal sealed class RedisConnectionString(string name, ReferenceExpression expression) : Resource(name), IResourceWithConnectionString
{
    public ReferenceExpression ConnectionStringExpression { get; } = expression;
}
