using AppHost.BackingServices;
using Microsoft.Extensions.Configuration;

namespace Worker.Tests.Unit;

/// <summary>The AppHost's BackingServices:RabbitMQ:Nodes and BackingServices:Postgres:Standby, read and refused.</summary>
public sealed class BackingServiceTopologyTests
{
    [Fact]
    public void Unset_means_one_broker_node_and_no_standby()
    {
        Assert.Equal(new BackingServiceTopology(1, false), BackingServiceTopology.Read(Configuration()));
    }

    [Fact]
    public void Three_nodes_and_a_standby_are_read()
    {
        var topology = BackingServiceTopology.Read(Configuration(("BackingServices:RabbitMQ:Nodes", "3"), ("BackingServices:Postgres:Standby", "true")));
        Assert.Equal(new BackingServiceTopology(3, true), topology);
    }

    [Theory]
    [InlineData("0")]
    [InlineData("4")]
    [InlineData("-1")]
    [InlineData("two")]
    public void A_node_count_outside_one_to_three_stops_the_start_naming_the_key(string nodes)
    {
        var error = Assert.Throws<InvalidOperationException>(() => BackingServiceTopology.Read(Configuration(("BackingServices:RabbitMQ:Nodes", nodes))));
        Assert.Equal($"BackingServices:RabbitMQ:Nodes is '{nodes}', but it must be 1-3.", error.Message);
    }

    [Fact]
    public void A_standby_that_is_not_a_boolean_stops_the_start_naming_the_key()
    {
        var error = Assert.Throws<InvalidOperationException>(() => BackingServiceTopology.Read(Configuration(("BackingServices:Postgres:Standby", "yes"))));
        Assert.Equal("BackingServices:Postgres:Standby is 'yes', but it must be true or false.", error.Message);
    }

    [Theory]
    [InlineData(2, false, "BackingServices:RabbitMQ:Nodes is 2, but containers run one broker node")]
    [InlineData(1, true, "BackingServices:Postgres:Standby is true, but containers run one database server")]
    public void Containers_refuse_a_cluster_or_a_standby(int nodes, bool standby, string message)
    {
        var error = Assert.Throws<InvalidOperationException>(() => new BackingServiceTopology(nodes, standby).RequireSingleServers("containers"));
        Assert.StartsWith(message, error.Message, StringComparison.Ordinal);
        Assert.Contains("BackingServices:Mode=processes", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Single_servers_pass_everywhere()
    {
        new BackingServiceTopology(1, false).RequireSingleServers("the manifest and so the deployment");
    }

    private static IConfiguration Configuration(params (string Key, string Value)[] settings) =>
        new ConfigurationBuilder().AddInMemoryCollection(settings.Select(s => KeyValuePair.Create(s.Key, (string?)s.Value))).Build();
}
