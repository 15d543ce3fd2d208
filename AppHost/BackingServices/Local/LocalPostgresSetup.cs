using Aspire.Hosting.ApplicationModel;
using Npgsql;

namespace AppHost.BackingServices.Local;

/// <summary>The steps around a local PostgreSQL's life: its cluster, the worker's role and database, and their state.</summary>
internal static class LocalPostgresSetup
{
    private static readonly TimeSpan PrimaryStartsWithin = TimeSpan.FromMinutes(2);

    public static async Task InitDbAsync(LocalServer server, string bin, string dataDirectory, string password, CancellationToken ct)
    {
        var passwordFile = Path.Combine(server.Home, "initdb.pw");
        await LocalConfigFile.WriteAsync(passwordFile, server.User, [password], ct).ConfigureAwait(false);
        try
        {
            server.User.Run(Path.Combine(bin, "initdb"),
            [
                "-D", dataDirectory, "-U", LocalPostgresResource.UserName, $"--pwfile={passwordFile}",
                "--auth=scram-sha-256", "--encoding=UTF8", "--locale=C", "--no-sync", "--no-instructions",
            ]);
        }
        finally
        {
            File.Delete(passwordFile);
        }
    }

    /// <summary>
    /// A standby's data directory: a base backup of the primary, streaming its WAL (-X stream), and set up to follow
    /// it (-R: standby.signal and a primary_conninfo naming this standby, which synchronous_standby_names waits for).
    /// The checkpoint it starts from is taken at once (--checkpoint=fast), not spread over minutes.
    /// </summary>
    public static async Task BaseBackupAsync(
        LocalServer server, string bin, string dataDirectory, LocalPostgresResource primary, string applicationName, CancellationToken ct)
    {
        var connectionString = await primary.ConnectionStringExpression.GetValueAsync(ct).ConfigureAwait(false) ?? "";
        await WaitForConnectionsAsync(primary.Name, connectionString, ct).ConfigureAwait(false);
        var passwordFile = Path.Combine(server.Home, ".pgpass");
        var password = await primary.PasswordParameter.GetValueAsync(ct).ConfigureAwait(false) ?? "";
        await LocalConfigFile.WriteAsync(passwordFile, server.User, [$"*:*:*:{LocalPostgresResource.UserName}:{password}"], ct).ConfigureAwait(false);
        var port = await primary.PrimaryEndpoint.Property(EndpointProperty.Port).GetValueAsync(ct).ConfigureAwait(false);
        server.User.Run(Path.Combine(bin, "pg_basebackup"),
        [
            "-d", $"host=localhost port={port} user={LocalPostgresResource.UserName} passfile={passwordFile} application_name={applicationName}",
            "-D", dataDirectory, "-X", "stream", "-R", "--no-sync", "--checkpoint=fast",
        ]);
    }

    // Not WaitFor: the primary is healthy only once its standby is, so that nothing commits before a standby confirms it.
    private static async Task WaitForConnectionsAsync(string name, string connectionString, CancellationToken ct)
    {
        using var bound = CancellationTokenSource.CreateLinkedTokenSource(ct);
        bound.CancelAfter(PrimaryStartsWithin);
        while (true)
        {
            try
            {
                await using var connection = new NpgsqlConnection(connectionString + ";Pooling=false;Timeout=2");
                await connection.OpenAsync(bound.Token).ConfigureAwait(false);
                return;
            }
            catch (NpgsqlException) when (!bound.IsCancellationRequested)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(250), bound.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                throw new TimeoutException($"{name} did not accept connections within {PrimaryStartsWithin.TotalSeconds} s, so its standby has no base backup.");
            }
        }
    }

    public static async Task CreateOwnerAndDatabaseAsync(LocalPostgresDatabaseResource database, CancellationToken ct)
    {
        await using var connection = new NpgsqlConnection(await database.Parent.ConnectionStringExpression.GetValueAsync(ct).ConfigureAwait(false));
        await connection.OpenAsync(ct).ConfigureAwait(false);
        var password = await database.OwnerPassword.GetValueAsync(ct).ConfigureAwait(false) ?? "";
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

    public static async Task FollowServerAsync(
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
