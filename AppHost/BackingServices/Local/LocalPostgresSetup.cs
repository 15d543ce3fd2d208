using Aspire.Hosting.ApplicationModel;
using Npgsql;

namespace AppHost.BackingServices.Local;

/// <summary>The steps around a local PostgreSQL's life: its cluster, the worker's role and database, and their state.</summary>
internal static class LocalPostgresSetup
{
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
