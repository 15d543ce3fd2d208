using AppHost.BackingServices.Local;
using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Aspire.Hosting;

public static class LocalRabbitMQBuilderExtensions
{
    /// <summary>
    /// <c>BackingServices:RabbitMQ:ConsumerTimeout</c>: how long the local broker lets a delivery stay unacked before it
    /// closes the channel (RabbitMQ's consumer_timeout, 30 minutes by default). Checked every second when set.
    /// </summary>
    public const string ConsumerTimeoutKey = "BackingServices:RabbitMQ:ConsumerTimeout";

    private const int MaxNodes = 3;

    /// <summary>
    /// Adds rabbitmq-server from the distribution's package, run as a local process with its own epmd, a user without
    /// the administrator tag, and the Erlang distribution on loopback only. <paramref name="maxMessageBytes"/> sets its
    /// max_message_size (RabbitMQ 3's default: 128 MiB). With <paramref name="nodes"/> above 1, the resource is the
    /// first node of a cluster, and the others (<c>{name}-node2</c>, …) join it; it is healthy once every node is.
    /// </summary>
    public static IResourceBuilder<LocalRabbitMQResource> AddLocalRabbitMQ(
        this IDistributedApplicationBuilder builder, [ResourceName] string name,
        IResourceBuilder<ParameterResource>? userName = null, IResourceBuilder<ParameterResource>? password = null,
        int? maxMessageBytes = null, int nodes = 1)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(nodes, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(nodes, MaxNodes);
        var user = LocalServer.Safe(builder, userName?.Resource ?? builder.AddParameter($"{name}-username", "guest").Resource);
        var secret = password is null ? LocalServer.DefaultPassword(builder, $"{name}-password") : LocalServer.Safe(builder, password.Resource);
        var settings = new LocalRabbitMQNode.Settings(user, secret, maxMessageBytes, builder.Configuration.GetValue<TimeSpan?>(ConsumerTimeoutKey));

        var server = LocalRabbitMQNode.Prepare(builder, name);
        // The nodes of one cluster share its port mapper and, through one home directory, its Erlang cookie.
        var cluster = new LocalRabbitMQNode.Cluster(builder.AddLocalEpmd($"{name}-epmd", server.Home), server.Home, Clustered: nodes > 1);
        var first = LocalRabbitMQNode.Add(builder, name, server, settings, cluster, joins: null);
        cluster.PortMapper.WithParentRelationship(first);

        foreach (var number in Enumerable.Range(2, nodes - 1))
        {
            var nodeName = $"{name}-node{number}";
            var node = LocalRabbitMQNode.Add(builder, nodeName, LocalRabbitMQNode.Prepare(builder, nodeName), settings, cluster, joins: first.Resource)
                .WithParentRelationship(first);
            first.Resource.AddOtherNode(node.Resource);
            // What waits for the broker waits for the whole cluster: a quorum queue declared earlier would lack members.
            first.WithHealthCheck(LocalServer.HealthCheckKey(node.Resource));
        }

        return first;
    }

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
