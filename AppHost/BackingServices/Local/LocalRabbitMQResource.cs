namespace Aspire.Hosting.ApplicationModel;

/// <summary>
/// rabbitmq-server from the distribution's package, as an executable with the container's connection string. The
/// first node of a cluster lists the others, which joined it.
/// </summary>
public sealed class LocalRabbitMQResource(string name, string command, string workingDirectory, ParameterResource userName, ParameterResource password)
    : ExecutableResource(name, command, workingDirectory), IResourceWithConnectionString
{
    internal const string PrimaryEndpointName = "tcp";

    /// <summary>The Erlang distribution's port, through which rabbitmqctl and the other nodes talk to the node.</summary>
    internal const string DistributionEndpointName = "dist";

    private readonly List<LocalRabbitMQResource> _otherNodes = [];

    public EndpointReference PrimaryEndpoint => new(this, PrimaryEndpointName);

    public ParameterResource UserNameParameter { get; } = userName;

    public ParameterResource PasswordParameter { get; } = password;

    /// <summary>The nodes that joined this one's cluster; none for a single node or a node that joined.</summary>
    public IReadOnlyList<LocalRabbitMQResource> OtherNodes => _otherNodes;

    public ReferenceExpression ConnectionStringExpression => ReferenceExpression.Create(
        $"amqp://{UserNameParameter}:{PasswordParameter}@{PrimaryEndpoint.Property(EndpointProperty.Host)}:{PrimaryEndpoint.Property(EndpointProperty.Port)}");

    /// <summary>host:port of the AMQP listener of this node and of every other node of its cluster, comma-separated.</summary>
    public ReferenceExpression AmqpEndpointsExpression
    {
        get
        {
            var endpoints = new ReferenceExpressionBuilder();
            foreach (var node in _otherNodes.Prepend(this))
            {
                if (node != this)
                {
                    endpoints.AppendLiteral(",");
                }

                endpoints.Append($"{node.PrimaryEndpoint.Property(EndpointProperty.Host)}:{node.PrimaryEndpoint.Property(EndpointProperty.Port)}");
            }

            return endpoints.Build();
        }
    }

    internal void AddOtherNode(LocalRabbitMQResource node) => _otherNodes.Add(node);
}
