using AppHost.BackingServices.Aspirate;
using Aspire.Hosting.ApplicationModel;

namespace AppHost.BackingServices;

/// <summary>
/// The official Aspire hosting integrations, run as containers, from the images <see cref="ContainerImages"/> names. In
/// run mode each keeps Aspire's own connection string (Redis's with <c>ssl=true</c> where Aspire gives it TLS); only
/// the manifest gets aspirate's workarounds (Aspirate/).
/// </summary>
public sealed class ContainerBackingServices(IDistributedApplicationBuilder builder, BackingServiceCredentials credentials) : IBackingServices
{
    private readonly ContainerImages _images = new(builder.Configuration);

    private bool Publishing => builder.ExecutionContext.IsPublishMode;

    public IResourceBuilder<IResourceWithConnectionString> AddRabbitMQ(string name)
    {
        var rabbitmq = _images.Apply(builder.AddRabbitMQ(name, credentials.UserName(name), credentials.Password(name)), "RabbitMQ")
            .WithEnvironment("RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS", BrokerMessageLimit.ErlangArguments(BrokerMessageLimit.Read(builder.Configuration)));
        return Publishing ? PortableRabbitMQServerResource.Replace(builder, rabbitmq) : rabbitmq;
    }

    public IResourceBuilder<IResourceWithConnectionString> AddRedis(string name)
    {
        var password = credentials.Password(name);
        var redis = _images.Apply(builder.AddRedis(name, password: password), "Redis");
        return Publishing ? PortableRedisConnectionString.Redirect(redis, password) : redis;
    }

    public IResourceBuilder<IResourceWithConnectionString> AddPostgresDatabase(string serverName, string databaseName) =>
        _images.Apply(builder.AddPostgres(serverName, password: credentials.Password(serverName)), "Postgres").AddDatabase(databaseName);
}
