using AppHost.BackingServices.Local;
using Aspire.Hosting.ApplicationModel;

namespace AppHost.BackingServices;

/// <summary>
/// The distribution's servers as local processes, for machines without a container engine. The model then holds no
/// container at all: DCP would otherwise wait for an engine and fail.
/// </summary>
public sealed class ProcessBackingServices(IDistributedApplicationBuilder builder, BackingServiceCredentials credentials) : IBackingServices
{
    private readonly RunDirectory _run = RunDirectory.CreateForThisProcess();

    public IResourceBuilder<IResourceWithConnectionString> AddRabbitMQ(string name) =>
        builder.AddLocalRabbitMQ(name, credentials.UserName(name).Resource, credentials.Password(name).Resource, _run);

    public IResourceBuilder<IResourceWithConnectionString> AddRedis(string name) =>
        builder.AddLocalRedis(name, credentials.Password(name).Resource, _run);

    public IResourceBuilder<IResourceWithConnectionString> AddPostgresDatabase(string serverName, string databaseName) =>
        builder.AddLocalPostgres(serverName, credentials.Password(serverName).Resource, _run).AddDatabase(databaseName);
}
