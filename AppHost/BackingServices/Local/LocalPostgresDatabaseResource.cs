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

    public ReferenceExpression ConnectionStringExpression => ReferenceExpression.Create(
        $"Host={Parent.PrimaryEndpoint.Property(EndpointProperty.Host)};Port={Parent.PrimaryEndpoint.Property(EndpointProperty.Port)};Username={Owner};Password={OwnerPassword};Database={DatabaseName}");
}
