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

    /// <summary>
    /// Adds PostgreSQL from the distribution's package, run as a local process; its superuser is postgres. With
    /// <paramref name="standby"/>, a second server (<c>{name}-standby</c>) streams the primary's WAL from a base backup,
    /// and the primary waits for it to flush every commit (synchronous_standby_names): what a client saw committed
    /// exists on the standby, which the test harness can promote (<c>pg_promote()</c>), as an operator would.
    /// </summary>
    public static IResourceBuilder<LocalPostgresResource> AddLocalPostgres(
        this IDistributedApplicationBuilder builder, [ResourceName] string name, IResourceBuilder<ParameterResource>? password = null, bool standby = false)
    {
        var bin = LocalServerBinaries.Require(LocalServerBinaries.PostgresBinDirectory, "PostgreSQL");
        var passwordParameter = password is null ? LocalServer.DefaultPassword(builder, $"{name}-password") : LocalServer.Safe(builder, password.Resource);
        var standbyName = $"{name}-standby";
        var primary = AddServer(builder, name, bin, passwordParameter, standby, standby ? ["-c", $"synchronous_standby_names=\"{standbyName}\""] : [],
            async (server, dataDirectory, ct) => await LocalPostgresSetup.InitDbAsync(server, bin, dataDirectory, await passwordParameter.GetValueAsync(ct).ConfigureAwait(false) ?? "", ct)
                .ConfigureAwait(false));
        if (standby)
        {
            var replica = AddServer(builder, standbyName, bin, passwordParameter, standby, [],
                    (server, dataDirectory, ct) => LocalPostgresSetup.BaseBackupAsync(server, bin, dataDirectory, primary.Resource, standbyName, ct))
                .WithParentRelationship(primary);
            primary.Resource.Standby = replica.Resource;
            // What waits for the database waits for its standby too: until the standby streams, every commit would block.
            primary.WithHealthCheck(LocalServer.HealthCheckKey(replica.Resource));
        }

        return primary;
    }

    // A failover pair listens on its own ports, not behind DCP's proxies: a proxy whose server is down accepts a
    // connection and never answers, and Npgsql would spend its whole connect timeout there, never trying the other host.
    private static IResourceBuilder<LocalPostgresResource> AddServer(
        IDistributedApplicationBuilder builder, string name, string bin, ParameterResource password, bool failoverPair, string[] settings,
        Func<LocalServer, string, CancellationToken, Task> createDataDirectory)
    {
        // The server runs under a shell that turns SIGTERM into a fast shutdown.
        var server = LocalServer.Prepare(builder, name, Shell, "sh", "postgres");
        var dataDirectory = Path.Combine(server.Home, "data");
        var postgres = new LocalPostgresResource(name, server.Command, server.Home, password);

        // Created once per run; a restart of the resource keeps its data.
        builder.Eventing.Subscribe<BeforeResourceStartedEvent>(postgres, async (e, ct) =>
        {
            if (!File.Exists(Path.Combine(dataDirectory, "PG_VERSION")))
            {
                await createDataDirectory(server, dataDirectory, ct).ConfigureAwait(false);
            }
        });

        return server.AddResource(builder, postgres, LocalPostgresResource.PrimaryEndpointName,
            (checks, key, connectionString) => checks.AddNpgSql(_ => connectionString.Value, name: key),
            args =>
            {
                args.Append(["-c", FastShutdownOnTerm, Path.Combine(bin, "postgres"), "-D", dataDirectory, "-k", server.Home, "-c", "listen_addresses=localhost", .. settings, "-p"]);
                args.Add(postgres.PrimaryEndpoint.Property(EndpointProperty.TargetPort));
            },
            proxied: !failoverPair);
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
