using AppHost.BackingServices.Local;
using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.DependencyInjection;

namespace Aspire.Hosting;

public static class LocalRedisBuilderExtensions
{
    /// <summary>Adds redis-server from the distribution's package, run as a local process with a password of its own.</summary>
    public static IResourceBuilder<LocalRedisResource> AddLocalRedis(
        this IDistributedApplicationBuilder builder, [ResourceName] string name, IResourceBuilder<ParameterResource>? password = null)
    {
        var server = LocalServer.Prepare(builder, name, LocalServerBinaries.RedisServer, "redis-server", "redis");
        var passwordParameter = password is null ? LocalServer.DefaultPassword(builder, $"{name}-password") : LocalServer.Safe(builder, password.Resource);
        var configFile = Path.Combine(server.Home, "redis.conf");
        var redis = new LocalRedisResource(name, server.Command, server.Home, passwordParameter);

        // The password goes into a config file rather than argv, where any local user could read it.
        builder.Eventing.Subscribe<BeforeResourceStartedEvent>(redis, async (_, ct) =>
            await LocalConfigFile.WriteAsync(configFile, server.User,
            [
                "bind 127.0.0.1 -::1",
                $"dir {server.Home}",
                "save \"\"",
                "appendonly no",
                $"requirepass {await passwordParameter.GetValueAsync(ct).ConfigureAwait(false)}",
            ], ct).ConfigureAwait(false));

        return server.AddResource(builder, redis, LocalRedisResource.PrimaryEndpointName,
            (checks, key, connectionString) => RedisHealthCheckBuilderExtensions.AddRedis(checks, _ => connectionString.Value, name: key),
            args =>
            {
                args.Add(configFile);
                args.Add("--port");
                args.Add(redis.PrimaryEndpoint.Property(EndpointProperty.TargetPort));
            });
    }
}
