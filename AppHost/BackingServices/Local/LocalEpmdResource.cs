namespace Aspire.Hosting.ApplicationModel;

/// <summary>
/// The Erlang port mapper the broker registers with. rabbitmq-server would otherwise start its own `epmd -daemon`,
/// which outlives the broker; as a resource of its own, DCP stops it with the AppHost. The broker's VMs are told never
/// to start one (<c>-start_epmd false</c>), even when this one does not answer.
/// </summary>
public sealed class LocalEpmdResource(string name, string command, string workingDirectory)
    : ExecutableResource(name, command, workingDirectory)
{
    internal const string PrimaryEndpointName = "tcp";

    public EndpointReference PrimaryEndpoint => new(this, PrimaryEndpointName);
}
