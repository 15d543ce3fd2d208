using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace AppHost.BackingServices.Local;

/// <summary>PostgreSQL from the distribution's package, as an executable with the container's connection string.</summary>
public sealed class LocalPostgresResource(string name, string command, string workingDirectory, ParameterResource password)
    : ExecutableResource(name, command, workingDirectory), IResourceWithConnectionString
{
    public const string UserName = "postgres";

    public EndpointReference PrimaryEndpoint => new(this, "tcp");

    public ParameterResource PasswordParameter { get; } = password;

    public ReferenceExpression ConnectionStringExpression => ReferenceExpression.Create(
        $"Host={PrimaryEndpoint.Property(EndpointProperty.Host)};Port={PrimaryEndpoint.Property(EndpointProperty.Port)};Username={UserName};Password={PasswordParameter}");
}

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

public static class LocalPostgresExtensions
{
    private const string Shell = "/bin/sh";

    // DCP stops a process with SIGTERM, which PostgreSQL reads as a "smart" shutdown that waits for every client to
    // disconnect: with the worker's pooled connections it never ends, and a restart then finds the old server still
    // holding the data directory. This turns SIGTERM into SIGINT, PostgreSQL's fast shutdown.
    private const string FastShutdownOnTerm =
        "trap 'kill -INT \"$server\"' TERM INT; \"$0\" \"$@\" & server=$!; wait \"$server\"; trap - TERM INT; wait \"$server\"";

    public static IResourceBuilder<LocalPostgresResource> AddLocalPostgres(
        this IDistributedApplicationBuilder builder, string name, ParameterResource password)
    {
        var bin = LocalServerBinaries.Require(LocalServerBinaries.PostgresBinDirectory, "PostgreSQL");
        var postgresBinary = Path.Combine(bin, "postgres");
        var user = ServiceUser.For("postgres");
        var home = RunDirectory.Of(builder).ServerDirectory(name, user);
        var dataDirectory = Path.Combine(home, "data");
        var postgres = new LocalPostgresResource(name, user.Command(Shell), home, password);

        // initdb once per run; a restart of the resource keeps its data.
        builder.Eventing.Subscribe<BeforeResourceStartedEvent>(postgres, async (_, ct) =>
        {
            if (File.Exists(Path.Combine(dataDirectory, "PG_VERSION")))
            {
                return;
            }

            var passwordFile = Path.Combine(home, "initdb.pw");
            await LocalConfigFile.WriteAsync(passwordFile, user, [await password.GetValueAsync(ct).ConfigureAwait(false) ?? ""], ct)
                .ConfigureAwait(false);
            try
            {
                user.Run(Path.Combine(bin, "initdb"),
                [
                    "-D", dataDirectory, "-U", LocalPostgresResource.UserName, $"--pwfile={passwordFile}",
                    "--auth=scram-sha-256", "--encoding=UTF8", "--locale=C", "--no-sync", "--no-instructions",
                ]);
            }
            finally
            {
                File.Delete(passwordFile);
            }
        });

        var healthCheckKey = $"{name}_check";
        var connectionString = builder.TrackConnectionString(postgres);
        builder.Services.AddHealthChecks().AddNpgSql(_ => connectionString.Value, name: healthCheckKey);

        return builder.AddResource(postgres)
            .WithEndpoint(name: "tcp", scheme: "tcp")
            .WithArgs(context =>
            {
                context.Args.Append(user.PrefixArgs(Shell));
                context.Args.Append(["-c", FastShutdownOnTerm, postgresBinary, "-D", dataDirectory, "-k", home, "-c", "listen_addresses=localhost", "-p"]);
                context.Args.Add(postgres.PrimaryEndpoint.Property(EndpointProperty.TargetPort));
            })
            .WithHealthCheck(healthCheckKey)
            .ExcludeFromManifest();
    }

    public static IResourceBuilder<LocalPostgresDatabaseResource> AddDatabase(
        this IResourceBuilder<LocalPostgresResource> server, string name, string owner, ParameterResource ownerPassword, string? databaseName = null)
    {
        var builder = server.ApplicationBuilder;
        var database = new LocalPostgresDatabaseResource(name, databaseName ?? name, server.Resource, owner, ownerPassword);

        builder.Eventing.Subscribe<ResourceReadyEvent>(server.Resource, async (_, ct) =>
        {
            await using var connection = new NpgsqlConnection(await server.Resource.ConnectionStringExpression.GetValueAsync(ct).ConfigureAwait(false));
            await connection.OpenAsync(ct).ConfigureAwait(false);
            await CreateOwnerAndDatabaseAsync(connection, database, await ownerPassword.GetValueAsync(ct).ConfigureAwait(false) ?? "", ct).ConfigureAwait(false);
        });

        var healthCheckKey = $"{name}_check";
        var connectionString = new TrackedConnectionString(name);
        builder.Services.AddHealthChecks().AddNpgSql(_ => connectionString.Value, name: healthCheckKey);

        // Aspire mirrors a parent's state onto its children for containers only, so the database follows its
        // executable server here; its own health check then says when the database itself answers.
        builder.Eventing.Subscribe<InitializeResourceEvent>(database, (e, ct) =>
        {
            _ = Task.Run(() => FollowServerAsync(database, connectionString, e.Notifications, ct), ct);
            return Task.CompletedTask;
        });

        return builder.AddResource(database)
            .WithInitialState(new CustomResourceSnapshot { ResourceType = "PostgresDatabase", Properties = [], State = KnownResourceStates.NotStarted })
            .WithHealthCheck(healthCheckKey)
            .ExcludeFromManifest();
    }

    private static async Task CreateOwnerAndDatabaseAsync(NpgsqlConnection connection, LocalPostgresDatabaseResource database, string password, CancellationToken ct)
    {
        var quote = new NpgsqlCommandBuilder();
        var role = quote.QuoteIdentifier(database.Owner);
        // DDL takes no parameters; the password is a literal, its quotes doubled (ProcessBackingServices refuses others).
        var literal = $"'{password.Replace("'", "''", StringComparison.Ordinal)}'";
        await using (var exists = new NpgsqlCommand("SELECT 1 FROM pg_roles WHERE rolname = $1", connection) { Parameters = { new() { Value = database.Owner } } })
        {
            var verb = await exists.ExecuteScalarAsync(ct).ConfigureAwait(false) is null ? "CREATE" : "ALTER";
            await using var upsert = new NpgsqlCommand($"{verb} ROLE {role} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD {literal}", connection);
            await upsert.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        }

        await using var dbExists = new NpgsqlCommand("SELECT 1 FROM pg_database WHERE datname = $1", connection) { Parameters = { new() { Value = database.DatabaseName } } };
        if (await dbExists.ExecuteScalarAsync(ct).ConfigureAwait(false) is null)
        {
            await using var create = new NpgsqlCommand($"CREATE DATABASE {quote.QuoteIdentifier(database.DatabaseName)} OWNER {role}", connection);
            await create.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        }
    }

    private static async Task FollowServerAsync(
        LocalPostgresDatabaseResource database, TrackedConnectionString connectionString, ResourceNotificationService notifications, CancellationToken ct)
    {
        await foreach (var update in notifications.WatchAsync(ct).ConfigureAwait(false))
        {
            if (update.Resource != database.Parent)
            {
                continue;
            }

            var server = update.Snapshot;
            if (server.State?.Text == KnownResourceStates.Running)
            {
                connectionString.Set(await database.ConnectionStringExpression.GetValueAsync(ct).ConfigureAwait(false));
            }

            await notifications.PublishUpdateAsync(database, snapshot => snapshot with
            {
                State = server.State,
                StartTimeStamp = server.StartTimeStamp,
                StopTimeStamp = server.StopTimeStamp,
            }).ConfigureAwait(false);
        }
    }
}
