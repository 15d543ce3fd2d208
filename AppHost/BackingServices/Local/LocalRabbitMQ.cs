using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using RabbitMQ.Client;

namespace AppHost.BackingServices.Local;

/// <summary>rabbitmq-server from the distribution's package, as an executable with the container's connection string.</summary>
public sealed class LocalRabbitMQResource(string name, string command, string workingDirectory, ParameterResource userName, ParameterResource password)
    : ExecutableResource(name, command, workingDirectory), IResourceWithConnectionString
{
    public EndpointReference PrimaryEndpoint => new(this, "tcp");

    public ParameterResource UserNameParameter { get; } = userName;

    public ParameterResource PasswordParameter { get; } = password;

    public ReferenceExpression ConnectionStringExpression => ReferenceExpression.Create(
        $"amqp://{UserNameParameter}:{PasswordParameter}@{PrimaryEndpoint.Property(EndpointProperty.Host)}:{PrimaryEndpoint.Property(EndpointProperty.Port)}");
}

/// <summary>
/// The Erlang port mapper the broker registers with. rabbitmq-server would otherwise start its own `epmd -daemon`,
/// which outlives the broker; as a resource of its own, DCP stops it with the AppHost.
/// </summary>
public sealed class LocalEpmdResource(string name, string command, string workingDirectory)
    : ExecutableResource(name, command, workingDirectory)
{
    public EndpointReference PrimaryEndpoint => new(this, "tcp");
}

public static class LocalRabbitMQExtensions
{
    public static IResourceBuilder<LocalRabbitMQResource> AddLocalRabbitMQ(
        this IDistributedApplicationBuilder builder, string name, ParameterResource userName, ParameterResource password)
    {
        var binary = LocalServerBinaries.Require(LocalServerBinaries.RabbitMQServer, "rabbitmq-server");
        var user = ServiceUser.For("rabbitmq");
        var home = RunDirectory.Of(builder).ServerDirectory(name, user);
        var configFile = Path.Combine(home, "rabbitmq.conf");
        var rabbitmq = new LocalRabbitMQResource(name, user.Command(binary), home, userName, password);
        var epmd = builder.AddLocalEpmd($"{name}-epmd", home).WithParentRelationship(rabbitmq);

        var consumerTimeout = builder.Configuration.GetValue<TimeSpan?>(ConsumerTimeoutKey);
        builder.Eventing.Subscribe<BeforeResourceStartedEvent>(rabbitmq, async (_, ct) =>
        {
            await LocalConfigFile.WriteAsync(configFile, user,
            [
                $"default_user = {await userName.GetValueAsync(ct).ConfigureAwait(false)}",
                $"default_pass = {await password.GetValueAsync(ct).ConfigureAwait(false)}",
                // The worker's user may use the vhost, not administer the broker.
                "default_user_tags.administrator = false",
                "loopback_users = none",
            ], ct).ConfigureAwait(false);
            await LocalConfigFile.WriteAsync(Path.Combine(home, "enabled_plugins"), user, ["[]."], ct).ConfigureAwait(false);
            await LocalConfigFile.WriteAsync(Path.Combine(home, "advanced.config"), user, [AdvancedConfig(consumerTimeout)], ct).ConfigureAwait(false);
        });

        var healthCheckKey = $"{name}_check";
        var connectionString = builder.TrackConnectionString(rabbitmq);
        Task<IConnection>? connection = null;
        builder.Services.AddHealthChecks().AddRabbitMQ(
            _ => connection is { IsFaulted: false, IsCanceled: false }
                ? connection
                : connection = new ConnectionFactory { Uri = new Uri(connectionString.Value) }.CreateConnectionAsync(),
            name: healthCheckKey);

        return builder.AddResource(rabbitmq)
            .WithEndpoint(name: "tcp", scheme: "tcp", env: "RABBITMQ_NODE_PORT")
            .WithEnvironment("HOME", home)
            .WithEnvironment("RABBITMQ_NODENAME", NodeName(name))
            .WithEnvironment("RABBITMQ_NODE_IP_ADDRESS", "127.0.0.1")
            .WithEnvironment("RABBITMQ_CONFIG_FILE", configFile)
            .WithEnvironment("RABBITMQ_CONF_ENV_FILE", Path.Combine(home, "rabbitmq-env.conf"))
            .WithEnvironment("RABBITMQ_ADVANCED_CONFIG_FILE", Path.Combine(home, "advanced.config"))
            .WithEnvironment("RABBITMQ_ENABLED_PLUGINS_FILE", Path.Combine(home, "enabled_plugins"))
            .WithEnvironment("RABBITMQ_MNESIA_BASE", Path.Combine(home, "mnesia"))
            .WithEnvironment("RABBITMQ_LOG_BASE", Path.Combine(home, "log"))
            .WithEnvironment("RABBITMQ_LOGS", "-")
            // The Erlang distribution (rabbitmqctl's way in) listens on loopback only, as the AMQP port does.
            .WithEnvironment("RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS", "-kernel inet_dist_use_interface {127,0,0,1}")
            .WithEnvironment("ERL_EPMD_PORT", epmd.Resource.PrimaryEndpoint.Property(EndpointProperty.TargetPort))
            .WithEnvironment("RABBITMQ_DIST_PORT", new EndpointReference(rabbitmq, "dist").Property(EndpointProperty.TargetPort))
            .WithEndpoint(name: "dist", scheme: "tcp", isProxied: false)
            .WithArgs(context => context.Args.Append(user.PrefixArgs(binary)))
            .WithHealthCheck(healthCheckKey)
            .WaitFor(epmd)
            .ExcludeFromManifest();
    }

    /// <summary>
    /// <c>BackingServices:RabbitMQ:ConsumerTimeout</c>: how long the local broker lets a delivery stay unacked before it
    /// closes the channel (RabbitMQ's consumer_timeout, 30 minutes by default). Checked every second when set.
    /// </summary>
    public const string ConsumerTimeoutKey = "BackingServices:RabbitMQ:ConsumerTimeout";

    private static string AdvancedConfig(TimeSpan? consumerTimeout) => consumerTimeout is { } timeout
        ? string.Create(System.Globalization.CultureInfo.InvariantCulture,
            $"[{{rabbit, [{{consumer_timeout, {(long)timeout.TotalMilliseconds}}}, {{channel_tick_interval, 1000}}]}}].")
        : "[].";

    // Unique per run, so two AppHosts on one machine never share an Erlang node.
    private static string NodeName(string name) => string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{name}-{Environment.ProcessId}@localhost");

    private static IResourceBuilder<LocalEpmdResource> AddLocalEpmd(this IDistributedApplicationBuilder builder, string name, string home)
    {
        var binary = LocalServerBinaries.Require(LocalServerBinaries.Epmd, "epmd (rabbitmq-server's Erlang)");
        var epmd = new LocalEpmdResource(name, binary, home);
        var healthCheckKey = $"{name}_check";
        builder.Services.AddHealthChecks().Add(new(healthCheckKey, _ => new TcpConnectHealthCheck(epmd.PrimaryEndpoint), null, null));

        return builder.AddResource(epmd)
            .WithEndpoint(name: "tcp", scheme: "tcp", isProxied: false)
            .WithArgs(context =>
            {
                context.Args.Append(["-address", "127.0.0.1", "-port"]);
                context.Args.Add(epmd.PrimaryEndpoint.Property(EndpointProperty.TargetPort));
            })
            .WithHealthCheck(healthCheckKey)
            .ExcludeFromManifest();
    }
}
