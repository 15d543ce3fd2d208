using Aspire.Hosting.ApplicationModel;

namespace AppHost.BackingServices;

/// <summary>
/// Adds the worker's three backing services. Both modes give the same resource names and the same connection
/// string shapes, so the worker cannot tell them apart.
/// </summary>
public interface IBackingServices
{
    IResourceBuilder<IResourceWithConnectionString> AddRabbitMQ(string name);

    IResourceBuilder<IResourceWithConnectionString> AddRedis(string name);

    /// <summary>Adds a PostgreSQL server and returns the database on it.</summary>
    IResourceBuilder<IResourceWithConnectionString> AddPostgresDatabase(string serverName, string databaseName);
}
