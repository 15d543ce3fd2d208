namespace AppHost;

/// <summary>
/// Tells the worker every node of a local broker cluster (its <c>Messaging:BrokerEndpoints</c>), so that it reconnects
/// to a surviving node: its connection string stays one amqp URI, which names the first node. A single broker, or one
/// in a container, needs nothing.
/// </summary>
public static class WorkerBrokerEndpoints
{
    public static IResourceBuilder<ProjectResource> WithBrokerEndpoints(
        this IResourceBuilder<ProjectResource> worker, IResourceBuilder<IResourceWithConnectionString> broker) =>
        broker.Resource is LocalRabbitMQResource { OtherNodes.Count: > 0 } cluster
            ? worker.WithEnvironment("Messaging__BrokerEndpoints", cluster.AmqpEndpointsExpression)
            : worker;
}
