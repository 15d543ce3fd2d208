using System.Text.RegularExpressions;
using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.Configuration;

namespace AppHost.BackingServices;

/// <summary>
/// The distribution's servers as local processes, for machines without a container engine. The model then holds no
/// container at all: DCP would otherwise wait for an engine and fail. The worker gets a database role and a broker
/// user of its own that are not superusers.
/// </summary>
public sealed partial class ProcessBackingServices(IDistributedApplicationBuilder builder, BackingServiceCredentials credentials) : IBackingServices
{
    public IResourceBuilder<IResourceWithConnectionString> AddRabbitMQ(string name) =>
        builder.AddLocalRabbitMQ(name, Safe(credentials.UserName(name)), Safe(credentials.Password(name)));

    public IResourceBuilder<IResourceWithConnectionString> AddRedis(string name) =>
        builder.AddLocalRedis(name, Safe(credentials.Password(name)));

    public IResourceBuilder<IResourceWithConnectionString> AddPostgresDatabase(string serverName, string databaseName) =>
        builder.AddLocalPostgres(serverName, Safe(credentials.Password(serverName)))
            .AddDatabase(databaseName, owner: BackingServiceCredentials.WorkerUserName, ownerPassword: Safe(credentials.Password(databaseName)));

    // The local servers take credentials in config files (redis.conf, rabbitmq.conf) and connection strings, where a
    // quote, '#', ',', ';', '@' or a line break would change their meaning. Generated values never hold one; a supplied
    // value that does is refused at start, naming its parameter.
    private IResourceBuilder<ParameterResource> Safe(IResourceBuilder<ParameterResource> parameter)
    {
        var key = $"Parameters:{parameter.Resource.Name}";
        if (builder.Configuration[key] is { } supplied && !SafeValue().IsMatch(supplied))
        {
            throw new InvalidOperationException(
                $"{key} holds characters the local servers' config files and connection strings cannot carry safely. " +
                "Use letters, digits, '.', '_', '~' and '-' only, or leave it unset to have one generated.");
        }

        return parameter;
    }

    [GeneratedRegex(@"\A[A-Za-z0-9._~-]+\z")]
    private static partial Regex SafeValue();
}
