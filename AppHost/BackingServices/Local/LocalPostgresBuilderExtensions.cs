using AppHost.BackingServices.Local;
using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.DependencyInjection;

namespace Aspire.Hosting;

public static class LocalPostgresBuilderExtensions
{
    private const string Shell = "/bin/sh";

    // DCP stops a process with SIGTERM, which PostgreSQL reads as a "smart" shutdown that waits for every client to
    // disconnect: with the worker's pooled connections it never ends, and a restart then finds the old server still
    // holding the data directory. This turns SIGTERM into SIGINT, PostgreSQL's fast shutdown.
    private const string FastShutdownOnTerm =
        "trap 'kill -INT \"$server\"' TERM INT; \"$0\" \"$@\" & server=$!; wait \"$server\"; trap - TERM INT; wait \"$server\"";

    /// <summary>Adds PostgreSQL from the distribution's package, run as a local process; its superuser is postgres.</summary>
    public static IResourceBuilder<LocalPostgresResource> AddLocalPostgres(
        this IDistributedApplicationBuilder builder, [ResourceName] string name, IResourceBuilder<ParameterResource>? password = null)
    {
        var bin = LocalServerBinaries.Require(LocalServerBinaries.PostgresBinDirectory, "PostgreSQL");
        // The server runs under a shell that turns SIGTERM into a fast shutdown.
        var server = LocalServer.Prepare(builder, name, Shell, "sh", "postgres");
        var passwordParameter = password is null ? LocalServer.DefaultPassword(builder, $"{name}-password") : LocalServer.Safe(builder, password.Resource);
        var dataDirectory = Path.Combine(server.Home, "data");
        var postgres = new LocalPostgresResource(name, server.Command, server.Home, passwordParameter);

        // initdb once per run; a restart of the resource keeps its data.
        builder.Eventing.Subscribe<BeforeResourceStartedEvent>(postgres, async (_, ct) =>
        {
            if (!File.Exists(Path.Combine(dataDirectory, "PG_VERSION")))
            {
                await LocalPostgresSetup.InitDbAsync(server, bin, dataDirectory, await passwordParameter.GetValueAsync(ct).ConfigureAwait(false) ?? "", ct)
                    .ConfigureAwait(false);
            }
        });

        return server.AddResource(builder, postgres, LocalPostgresResource.PrimaryEndpointName,
            (checks, key, connectionString) => checks.AddNpgSql(_ => connectionString.Value, name: key),
            args =>
            {
                args.Append(["-c", FastShutdownOnTerm, Path.Combine(bin, "postgres"), "-D", dataDirectory, "-k", server.Home, "-c", "listen_addresses=localhost", "-p"]);
                args.Add(postgres.PrimaryEndpoint.Property(EndpointProperty.TargetPort));
            });
    }

    /// <summary>Adds a database, created once the server answers, owned by a login role that is not a superuser.</summary>
    public static IResourceBuilder<LocalPostgresDatabaseResource> AddDatabase(
        this IResourceBuilder<LocalPostgresResource> server, [ResourceName] string name, string owner,
        IResourceBuilder<ParameterResource>? ownerPassword = null, string? databaseName = null)
    {
        var builder = server.ApplicationBuilder;
        var password = ownerPassword is null ? LocalServer.DefaultPassword(builder, $"{name}-password") : LocalServer.Safe(builder, ownerPassword.Resource);
        var database = new LocalPostgresDatabaseResource(name, databaseName ?? name, server.Resource, owner, password);

        builder.Eventing.Subscribe<ResourceReadyEvent>(server.Resource, (_, ct) => LocalPostgresSetup.CreateOwnerAndDatabaseAsync(database, ct));

        var healthCheckKey = $"{name}_check";
        var connectionString = new TrackedConnectionString(name);
        builder.Services.AddHealthChecks().AddNpgSql(_ => connectionString.Value, name: healthCheckKey);

        // Aspire mirrors a parent's state onto its children for containers only, so the database follows its
        // executable server here; its own health check then says when the database itself answers.
        builder.Eventing.Subscribe<InitializeResourceEvent>(database, (e, ct) =>
        {
            _ = Task.Run(() => LocalPostgresSetup.FollowServerAsync(database, connectionString, e.Notifications, ct), ct);
            return Task.CompletedTask;
        });

        return builder.AddResource(database)
            .WithInitialState(new CustomResourceSnapshot { ResourceType = "PostgresDatabase", Properties = [], State = KnownResourceStates.NotStarted })
            .WithHealthCheck(healthCheckKey)
            .ExcludeFromManifest();
    }
}
