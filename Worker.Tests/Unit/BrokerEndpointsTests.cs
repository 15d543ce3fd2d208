using Microsoft.Extensions.Configuration;
using RabbitMQ.Client;
using Worker.Clients;

namespace Worker.Tests.Unit;

/// <summary>Messaging:BrokerEndpoints: the other nodes of a broker cluster, which every connection and recovery tries.</summary>
public sealed class BrokerEndpointsTests
{
    [Fact]
    public void Unset_or_blank_means_only_the_connection_strings_node()
    {
        Assert.Empty(BrokerEndpoints.Read(Configuration(null)));
        Assert.Empty(BrokerEndpoints.Read(Configuration(" ")));
    }

    [Fact]
    public void Host_and_port_pairs_are_read_in_order()
    {
        Assert.Equal([("rabbitmq-1.rabbitmq-nodes", 5672), ("127.0.0.1", 5673)],
            BrokerEndpoints.Read(Configuration("rabbitmq-1.rabbitmq-nodes:5672, 127.0.0.1:5673")));
    }

    [Theory]
    [InlineData("node2")]
    [InlineData("node2:0")]
    [InlineData("node2:65536")]
    [InlineData(":5672")]
    [InlineData("node2:56x2")]
    [InlineData("node 2:5672")]
    [InlineData("node2:5672,,node3:5672")]
    public void An_entry_that_is_not_host_and_port_stops_the_start_naming_the_key(string value)
    {
        var error = Assert.Throws<InvalidOperationException>(() => BrokerEndpoints.Read(Configuration(value)));
        Assert.StartsWith("Messaging:BrokerEndpoints holds '", error.Message, StringComparison.Ordinal);
        Assert.Contains("each entry must be host:port", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Connections_try_the_uris_node_and_the_others_each_once()
    {
        var factory = new ConnectionFactory { Uri = new Uri("amqp://worker:secret@node1:5672") };
        BrokerEndpoints.Apply(factory, [("node2", 5673), ("node1", 5672)]);

        var endpoints = factory.EndpointResolverFactory([new AmqpTcpEndpoint("node1", 5672)]).All().ToList();

        // The client's resolver shuffles them, so that workers spread over the nodes.
        Assert.Equal([("node1", 5672), ("node2", 5673)], endpoints.Select(e => (e.HostName, e.Port)).Order());
    }

    private static IConfiguration Configuration(string? value) =>
        new ConfigurationBuilder().AddInMemoryCollection([KeyValuePair.Create(BrokerEndpoints.Key, value)]).Build();
}
