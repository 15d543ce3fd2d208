namespace Aspire.Hosting.ApplicationModel;

/// <summary>
/// A database on a <see cref="LocalPostgresResource"/>, created once the server answers, with a login role that owns
/// it and is not a superuser: what connects through this connection string can use its database and nothing else.
/// </summary>
public sealed class LocalPostgresDatabaseResource(string name, string databaseName, LocalPostgresResource parent, string owner, ParameterResource ownerPassword)
    : Resource(name), IResourceWithParent<LocalPostgresResource>, IResourceWithConnectionString
{
    public LocalPostgresResource Parent { get; } = parent;

    public string DatabaseName { get; } = databaseName;

    public string Owner { get; } = owner;

    public ParameterResource OwnerPassword { get; } = ownerPassword;

    /// <summary>
    /// With a standby, both hosts, and only a primary will do: after a failover, new connections find the promoted
    /// standby, and none lands on a server that refuses writes.
    /// </summary>
    public ReferenceExpression ConnectionStringExpression => Parent.Standby is { } standby
        ? ReferenceExpression.Create(
            $"Host={Parent.PrimaryEndpoint.Property(EndpointProperty.Host)}:{Parent.PrimaryEndpoint.Property(EndpointProperty.Port)},{standby.PrimaryEndpoint.Property(EndpointProperty.Host)}:{standby.PrimaryEndpoint.Property(EndpointProperty.Port)};Username={Owner};Password={OwnerPassword};Database={DatabaseName};Target Session Attributes=primary")
        : ReferenceExpression.Create(
            $"Host={Parent.PrimaryEndpoint.Property(EndpointProperty.Host)};Port={Parent.PrimaryEndpoint.Property(EndpointProperty.Port)};Username={Owner};Password={OwnerPassword};Database={DatabaseName}");
}
