using System.Globalization;
using System.Net.Sockets;
using System.Security.Cryptography;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.DependencyInjection;
using RabbitMQ.Client;

namespace AppHost.BackingServices.Local;

/// <summary>
/// One node of a local broker: its config files, its environment, its AMQP and distribution ports on loopback, and
/// the health check that opens an AMQP connection to it. A node that joins another finds it through classic config
/// peer discovery, which retries until that node answers: the join then happens inside the broker's boot, before its
/// AMQP listener opens, so that a node that answers AMQP has joined. `rabbitmqctl join_cluster` after the start would
/// leave a window in which the node answers as a cluster of its own. A node's first boot starts once the first node
/// has booted.
/// </summary>
internal static class LocalRabbitMQNode
{
    private static readonly SemaphoreSlim CookieLock = new(1, 1);
    private static readonly TimeSpan FirstBootWithin = TimeSpan.FromMinutes(2);

    public sealed record Settings(ParameterResource User, ParameterResource Password, int? MaxMessageBytes, TimeSpan? ConsumerTimeout);

    /// <summary>
    /// What the nodes of one cluster share: the port mapper, and the home directory that holds the Erlang cookie. A
    /// cluster of several nodes listens on its own ports, not behind DCP's proxies: a proxy whose node is down accepts a
    /// connection and never answers, so a client would wait out its connect timeout there instead of being refused
    /// and trying the next node.
    /// </summary>
    public sealed record Cluster(IResourceBuilder<LocalEpmdResource> PortMapper, string Home, bool Clustered);

    public static LocalServer Prepare(IDistributedApplicationBuilder builder, string name) =>
        LocalServer.Prepare(builder, name, LocalServerBinaries.RabbitMQServer, "rabbitmq-server", "rabbitmq");

    public static IResourceBuilder<LocalRabbitMQResource> Add(
        IDistributedApplicationBuilder builder, string name, LocalServer server, Settings settings, Cluster cluster, LocalRabbitMQResource? joins)
    {
        var home = server.Home;
        var (configFile, advancedConfig, enabledPlugins) =
            (Path.Combine(home, "rabbitmq.conf"), Path.Combine(home, "advanced.config"), Path.Combine(home, "enabled_plugins"));
        var rabbitmq = new LocalRabbitMQResource(name, server.Command, home, settings.User, settings.Password);

        builder.Eventing.Subscribe<BeforeResourceStartedEvent>(rabbitmq, async (_, ct) =>
        {
            if (joins is not null && !Directory.Exists(Path.Combine(home, "mnesia")))
            {
                await WaitForFirstBootAsync(joins, ct).ConfigureAwait(false);
            }

            await EnsureCookieAsync(cluster.Home, server.User, ct).ConfigureAwait(false);
            await LocalConfigFile.WriteAsync(configFile, server.User,
            [
                $"default_user = {await settings.User.GetValueAsync(ct).ConfigureAwait(false)}",
                $"default_pass = {await settings.Password.GetValueAsync(ct).ConfigureAwait(false)}",
                // The worker's user may use the vhost, not administer the broker.
                "default_user_tags.administrator = false",
                "loopback_users = none",
                .. settings.MaxMessageBytes is { } max ? [BrokerMessageLimit.ConfigLine(max)] : Array.Empty<string>(),
                .. joins is null ? [] : JoinLines(joins),
            ], ct).ConfigureAwait(false);
            await LocalConfigFile.WriteAsync(enabledPlugins, server.User, ["[]."], ct).ConfigureAwait(false);
            await LocalConfigFile.WriteAsync(advancedConfig, server.User, [AdvancedConfig(settings.ConsumerTimeout)], ct).ConfigureAwait(false);
        });

        Task<IConnection>? connection = null;
        var connectionLock = new Lock();
        return server.AddResource(builder, rabbitmq, LocalRabbitMQResource.PrimaryEndpointName,
                (checks, key, connectionString) => checks.AddRabbitMQ(
                    // Under a lock: the first node's health runs every node's check too, so two may ask at once.
                    _ => { lock (connectionLock) { return connection = OpenOrReconnect(connection, connectionString.Value); } },
                    name: key),
                portEnvironmentVariable: "RABBITMQ_NODE_PORT",
                proxied: !cluster.Clustered)
            .WithEnvironment("HOME", cluster.Home)
            .WithEnvironment("RABBITMQ_NODENAME", NodeName(name))
            .WithEnvironment("RABBITMQ_NODE_IP_ADDRESS", "127.0.0.1")
            .WithEnvironment("RABBITMQ_CONFIG_FILE", configFile)
            .WithEnvironment("RABBITMQ_CONF_ENV_FILE", Path.Combine(home, "rabbitmq-env.conf"))
            .WithEnvironment("RABBITMQ_ADVANCED_CONFIG_FILE", advancedConfig)
            .WithEnvironment("RABBITMQ_ENABLED_PLUGINS_FILE", enabledPlugins)
            .WithEnvironment("RABBITMQ_MNESIA_BASE", Path.Combine(home, "mnesia"))
            .WithEnvironment("RABBITMQ_LOG_BASE", Path.Combine(home, "log"))
            .WithEnvironment("RABBITMQ_LOGS", "-")
            // The Erlang distribution (rabbitmqctl's and the other nodes' way in) listens on loopback only, as AMQP does.
            .WithEnvironment("RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS", "-kernel inet_dist_use_interface {127,0,0,1}")
            .WithEnvironment("ERL_EPMD_PORT", cluster.PortMapper.Resource.PrimaryEndpoint.Property(EndpointProperty.TargetPort))
            // Every Erlang VM started from this environment would start `epmd -daemon` where no port mapper answers: on
            // every interface, outside the AppHost's process tree, and for good. The node's epmd monitor starts one such
            // VM every minute (rabbit_nodes_common:ensure_epmd/0), so a minute in which the app's port mapper is gone,
            // as while the AppHost stops, left one behind. The app's own port mapper is the only one.
            .WithEnvironment("ERL_ZFLAGS", "-start_epmd false")
            .WithEnvironment("RABBITMQ_DIST_PORT", new EndpointReference(rabbitmq, LocalRabbitMQResource.DistributionEndpointName).Property(EndpointProperty.TargetPort))
            .WithEndpoint(name: LocalRabbitMQResource.DistributionEndpointName, scheme: "tcp", isProxied: false)
            .WaitFor(cluster.PortMapper);
    }

    // One connection for all of a node's checks, opened again once it is closed: a node stopped and started again
    // closes it (CONNECTION_FORCED), and a closed connection, kept, would fail every check after the node is back.
    // The client's own recovery is off, so that a check reads the node as it is now.
    private static Task<IConnection> OpenOrReconnect(Task<IConnection>? current, string uri)
    {
        if (current is { IsCompleted: false } or { IsCompletedSuccessfully: true, Result.IsOpen: true })
        {
            return current;
        }

        if (current is { IsCompletedSuccessfully: true })
        {
            current.Result.Dispose();
        }

        return new ConnectionFactory { Uri = new Uri(uri), AutomaticRecoveryEnabled = false }.CreateConnectionAsync();
    }

    // Retried for two minutes, a second apart: RabbitMQ's default (10 × 0.5 s) would let a first node slow to answer
    // the join make this node a cluster of its own.
    private static string[] JoinLines(LocalRabbitMQResource first) =>
    [
        "cluster_formation.peer_discovery_backend = classic_config",
        $"cluster_formation.classic_config.nodes.1 = {NodeName(first.Name)}",
        "cluster_formation.discovery_retry_limit = 120",
        "cluster_formation.discovery_retry_interval = 1000",
    ];

    // A joining node copies the cluster's feature flags at its join. Joined while the first node was still booting, it
    // copied them before that node enabled them, and refused every quorum queue for good ("the corresponding feature
    // flag is disabled", measured on RabbitMQ 3.10). So a node's first boot waits until the first node answers AMQP,
    // which it does once booted; later boots rejoin the cluster they know, whichever nodes run.
    private static async Task WaitForFirstBootAsync(LocalRabbitMQResource first, CancellationToken ct)
    {
        var deadline = DateTime.UtcNow + FirstBootWithin;
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                using var client = new TcpClient();
                await client.ConnectAsync(first.PrimaryEndpoint.Host, first.PrimaryEndpoint.Port, ct).ConfigureAwait(false);
                return;
            }
            catch (Exception e) when (e is SocketException or InvalidOperationException)
            {
                // Not listening yet, or its port not allocated yet. Past the deadline the node starts anyway, and its
                // health says what it finds.
            }

            await Task.Delay(TimeSpan.FromMilliseconds(250), ct).ConfigureAwait(false);
        }
    }

    // Written before any node starts: nodes booting at once would otherwise each create a cookie of their own. When
    // the AppHost is root, runuser gives the broker its user's home, and the cookie there, which that user's nodes share.
    private static async Task EnsureCookieAsync(string home, ServiceUser user, CancellationToken ct)
    {
        var path = Path.Combine(home, ".erlang.cookie");
        await CookieLock.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            if (!File.Exists(path))
            {
                await LocalConfigFile.WriteAsync(path, user, [RandomNumberGenerator.GetString("ABCDEFGHIJKLMNOPQRSTUVWXYZ", 32)], ct).ConfigureAwait(false);
            }
        }
        finally
        {
            CookieLock.Release();
        }
    }

    private static string AdvancedConfig(TimeSpan? consumerTimeout) => consumerTimeout is { } timeout
        ? string.Create(CultureInfo.InvariantCulture,
            $"[{{rabbit, [{{consumer_timeout, {(long)timeout.TotalMilliseconds}}}, {{channel_tick_interval, 1000}}]}}].")
        : "[].";

    // Unique per run, so two AppHosts on one machine never share an Erlang node.
    private static string NodeName(string name) => string.Create(CultureInfo.InvariantCulture, $"{name}-{Environment.ProcessId}@localhost");
}
