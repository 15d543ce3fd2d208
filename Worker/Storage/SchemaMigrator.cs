using Npgsql;

namespace Worker.Storage;

/// <summary>
/// Versioned schema migration, at start-up and whenever the store finds its table gone. It runs in one transaction
/// under an advisory lock, so that replicas doing it together do not race. A database can forget the table while
/// <c>schema_versions</c> still records it (<c>DROP TABLE messages</c> leaves version 1 there, a restore can bring back
/// one without the other): where the table itself is missing, the records are void and every version runs again.
/// The same transaction gives the database an id of its own, once, which names the deployment in Redis's keys.
/// </summary>
public sealed class SchemaMigrator(NpgsqlDataSource dataSource)
{
    private const long LockKey = 0x5752_4B52_5F4D_4947; // any constant shared by every replica

    private static readonly (int Version, string Sql)[] Migrations =
    [
        (1, """
            CREATE TABLE messages (
                id        text        PRIMARY KEY,
                type      text        NOT NULL,
                payload   jsonb       NOT NULL,
                sent_at   timestamptz NOT NULL,
                stored_at timestamptz NOT NULL DEFAULT now()
            );
            """),
    ];

    public static int LatestVersion => Migrations[^1].Version;

    /// <summary>
    /// This database's own name, made once in it (the table <c>deployment</c>); null until the first migration. Two
    /// deployments on databases with the same host, port and name in two clusters still have two ids.
    /// </summary>
    public Guid? DeploymentId { get; private set; }

    /// <summary>Applies what is missing and returns the schema version now in force.</summary>
    public async Task<int> MigrateAsync(CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var transaction = await connection.BeginTransactionAsync(ct);
        await ExecuteAsync(connection, transaction, $"SELECT pg_advisory_xact_lock({LockKey});", ct);
        await ExecuteAsync(connection, transaction, """
            CREATE TABLE IF NOT EXISTS schema_versions (
                version    integer     PRIMARY KEY,
                applied_at timestamptz NOT NULL DEFAULT now()
            );
            DELETE FROM schema_versions WHERE to_regclass('messages') IS NULL;
            CREATE TABLE IF NOT EXISTS deployment (
                one boolean PRIMARY KEY DEFAULT true CHECK (one),
                id  uuid    NOT NULL DEFAULT gen_random_uuid()
            );
            INSERT INTO deployment DEFAULT VALUES ON CONFLICT DO NOTHING;
            """, ct);

        foreach (var (version, sql) in Migrations)
        {
            await using var applied = new NpgsqlCommand("SELECT 1 FROM schema_versions WHERE version = $1", connection, transaction)
            {
                Parameters = { new() { Value = version } },
            };
            if (await applied.ExecuteScalarAsync(ct) is null)
            {
                await ExecuteAsync(connection, transaction, sql, ct);
                await ExecuteAsync(connection, transaction, $"INSERT INTO schema_versions (version) VALUES ({version});", ct);
            }
        }

        await using (var identity = new NpgsqlCommand("SELECT id FROM deployment", connection, transaction))
        {
            var id = (Guid)(await identity.ExecuteScalarAsync(ct))!;
            await transaction.CommitAsync(ct);
            DeploymentId = id;
        }

        return LatestVersion;
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, string sql, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand(sql, connection, transaction);
        await command.ExecuteNonQueryAsync(ct);
    }
}
