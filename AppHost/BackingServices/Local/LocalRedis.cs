using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.DependencyInjection;

namespace AppHost.BackingServices.Local;

/// <summary>redis-server from the distribution's package, as an executable with the container's connection string.</summary>
public sealed class LocalRedisResource(string name, string command, string workingDirectory, ParameterResource password)
    : ExecutableResource(name, command, workingDirectory), IResourceWithConnectionString
{
    public EndpointReference PrimaryEndpoint => new(this, "tcp");

    public ParameterResource PasswordParameter { get; } = password;

    public ReferenceExpression ConnectionStringExpression =>
        ReferenceExpression.Create($"{PrimaryEndpoint.Property(EndpointProperty.HostAndPort)},password={PasswordParameter}");
}

public static class LocalRedisExtensions
{
    public static IResourceBuilder<LocalRedisResource> AddLocalRedis(
        this IDistributedApplicationBuilder builder, string name, ParameterResource password)
    {
        var binary = LocalServerBinaries.Require(LocalServerBinaries.RedisServer, "redis-server");
        var user = ServiceUser.For("redis");
        var dataDirectory = RunDirectory.Of(builder).ServerDirectory(name, user);
        var configFile = Path.Combine(dataDirectory, "redis.conf");
        var redis = new LocalRedisResource(name, user.Command(binary), dataDirectory, password);

        // The password goes into a config file rather than argv, where any local user could read it.
        builder.Eventing.Subscribe<BeforeResourceStartedEvent>(redis, async (_, ct) =>
        {
            var secret = await password.GetValueAsync(ct).ConfigureAwait(false);
            await LocalConfigFile.WriteAsync(configFile, user,
            [
                "bind 127.0.0.1 -::1",
                $"dir {dataDirectory}",
                "save \"\"",
                "appendonly no",
                $"requirepass {secret}",
            ], ct).ConfigureAwait(false);
        });

        var healthCheckKey = $"{name}_check";
        var connectionString = builder.TrackConnectionString(redis);
        builder.Services.AddHealthChecks().AddRedis(_ => connectionString.Value, name: healthCheckKey);

        return builder.AddResource(redis)
            .WithEndpoint(name: "tcp", scheme: "tcp")
            .WithArgs(context =>
            {
                context.Args.Append(user.PrefixArgs(binary));
                context.Args.Add(configFile);
                context.Args.Add("--port");
                context.Args.Add(redis.PrimaryEndpoint.Property(EndpointProperty.TargetPort));
            })
            .WithHealthCheck(healthCheckKey)
            .ExcludeFromManifest();
    }
}
