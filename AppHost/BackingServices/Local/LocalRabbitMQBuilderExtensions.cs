using AppHost.BackingServices;
using AppHost.BackingServices.Local;
using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using RabbitMQ.Client;

namespace Aspire.Hosting;

public static class LocalRabbitMQBuilderExtensions
{
    /// <summary>
    /// <c>BackingServices:RabbitMQ:ConsumerTimeout</c>: how long the local broker lets a delivery stay unacked before it
    /// closes the channel (RabbitMQ's consumer_timeout, 30 minutes by default). Checked every second when set.
    /// </summary>
    public const string ConsumerTimeoutKey = "BackingServices:RabbitMQ:ConsumerTimeout";

    /// <summary>
    /// Adds rabbitmq-server from the distribution's package, run as a local process with its own epmd, a user without
    /// the administrator tag, and the Erlang distribution on loopback only. <paramref name="maxMessageBytes"/> sets its
    /// max_message_size (RabbitMQ 3's default: 128 MiB).
    /// </summary>
    public static IResourceBuilder<LocalRabbitMQResource> AddLocalRabbitMQ(
        this IDistributedApplicationBuilder builder, [ResourceName] string name,
        IResourceBuilder<ParameterResource>? userName = null, IResourceBuilder<ParameterResource>? password = null, int? maxMessageBytes = null)
    {
        var server = LocalServer.Prepare(builder, name, LocalServerBinaries.RabbitMQServer, "rabbitmq-server", "rabbitmq");
        var user = LocalServer.Safe(builder, userName?.Resource ?? builder.AddParameter($"{name}-username", "guest").Resource);
        var secret = password is null ? LocalServer.DefaultPassword(builder, $"{name}-password") : LocalServer.Safe(builder, password.Resource);
        var home = server.Home;
        var (configFile, advancedConfig, enabledPlugins) =
            (Path.Combine(home, "rabbitmq.conf"), Path.Combine(home, "advanced.config"), Path.Combine(home, "enabled_plugins"));
        var rabbitmq = new LocalRabbitMQResource(name, server.Command, home, user, secret);
        var epmd = builder.AddLocalEpmd($"{name}-epmd", home).WithParentRelationship(rabbitmq);

        var consumerTimeout = builder.Configuration.GetValue<TimeSpan?>(ConsumerTimeoutKey);
        builder.Eventing.Subscribe<BeforeResourceStartedEvent>(rabbitmq, async (_, ct) =>
        {
            await LocalConfigFile.WriteAsync(configFile, server.User,
            [
                $"default_user = {await user.GetValueAsync(ct).ConfigureAwait(false)}",
                $"default_pass = {await secret.GetValueAsync(ct).ConfigureAwait(false)}",
                // The worker's user may use the vhost, not administer the broker.
                "default_user_tags.administrator = false",
                "loopback_users = none",
                .. maxMessageBytes is { } max ? [BrokerMessageLimit.ConfigLine(max)] : Array.Empty<string>(),
            ], ct).ConfigureAwait(false);
            await LocalConfigFile.WriteAsync(enabledPlugins, server.User, ["[]."], ct).ConfigureAwait(false);
            await LocalConfigFile.WriteAsync(advancedConfig, server.User, [AdvancedConfig(consumerTimeout)], ct).ConfigureAwait(false);
        });

        Task<IConnection>? connection = null;
        return server.AddResource(builder, rabbitmq, LocalRabbitMQResource.PrimaryEndpointName,
                (checks, key, connectionString) => checks.AddRabbitMQ(
                    _ => connection is { IsFaulted: false, IsCanceled: false }
                        ? connection
                        : connection = new ConnectionFactory { Uri = new Uri(connectionString.Value) }.CreateConnectionAsync(),
                    name: key),
                portEnvironmentVariable: "RABBITMQ_NODE_PORT")
            .WithEnvironment("HOME", home)
            .WithEnvironment("RABBITMQ_NODENAME", NodeName(name))
            .WithEnvironment("RABBITMQ_NODE_IP_ADDRESS", "127.0.0.1")
            .WithEnvironment("RABBITMQ_CONFIG_FILE", configFile)
            .WithEnvironment("RABBITMQ_CONF_ENV_FILE", Path.Combine(home, "rabbitmq-env.conf"))
            .WithEnvironment("RABBITMQ_ADVANCED_CONFIG_FILE", advancedConfig)
            .WithEnvironment("RABBITMQ_ENABLED_PLUGINS_FILE", enabledPlugins)
            .WithEnvironment("RABBITMQ_MNESIA_BASE", Path.Combine(home, "mnesia"))
            .WithEnvironment("RABBITMQ_LOG_BASE", Path.Combine(home, "log"))
            .WithEnvironment("RABBITMQ_LOGS", "-")
            // The Erlang distribution (rabbitmqctl's way in) listens on loopback only, as the AMQP port does.
            .WithEnvironment("RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS", "-kernel inet_dist_use_interface {127,0,0,1}")
            .WithEnvironment("ERL_EPMD_PORT", epmd.Resource.PrimaryEndpoint.Property(EndpointProperty.TargetPort))
            // Every Erlang VM started from this environment would start `epmd -daemon` where no port mapper answers: on
            // every interface, outside the AppHost's process tree, and for good. The node's epmd monitor starts one such
            // VM every minute (rabbit_nodes_common:ensure_epmd/0), so a minute in which the app's port mapper is gone,
            // as while the AppHost stops, left one behind. The app's own port mapper is the only one.
            .WithEnvironment("ERL_ZFLAGS", "-start_epmd false")
            .WithEnvironment("RABBITMQ_DIST_PORT", new EndpointReference(rabbitmq, LocalRabbitMQResource.DistributionEndpointName).Property(EndpointProperty.TargetPort))
            .WithEndpoint(name: LocalRabbitMQResource.DistributionEndpointName, scheme: "tcp", isProxied: false)
            .WaitFor(epmd);
    }

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
            .WithEndpoint(name: LocalEpmdResource.PrimaryEndpointName, scheme: "tcp", isProxied: false)
            .WithArgs(context =>
            {
                context.Args.Append(["-address", "127.0.0.1", "-port"]);
                context.Args.Add(epmd.PrimaryEndpoint.Property(EndpointProperty.TargetPort));
            })
            .WithHealthCheck(healthCheckKey)
            .ExcludeFromManifest();
    }
}
