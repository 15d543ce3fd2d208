using Npgsql;
using NpgsqlTypes;
using Worker.Contract;

namespace Worker.Storage;

/// <summary>Where messages are kept for good.</summary>
public interface IMessageStore
{
    /// <summary>Stores the messages whose id is new, all or none; returns those ids.</summary>
    Task<IReadOnlySet<string>> InsertAsync(IReadOnlyList<WorkMessage> messages, CancellationToken ct);

    /// <summary>Of <paramref name="ids"/>, those that have a row.</summary>
    Task<IReadOnlySet<string>> StoredAsync(IReadOnlyCollection<string> ids, CancellationToken ct);
}

/// <summary>
/// Postgres, the source of truth: a message id is stored once, whatever Redis remembers. A database can forget its
/// table (a dropped table, a server started again without its data, as Aspire's containers are): a statement that
/// finds no table migrates the schema again and runs once more, instead of failing for ever. A database that refuses
/// writes has its pooled connections dropped.
/// </summary>
public sealed partial class MessageStore(NpgsqlDataSource dataSource, SchemaMigrator migrator, ILogger<MessageStore> logger) : IMessageStore
{
    /// <summary>
    /// Inserts a batch in one statement and one transaction; returns the ids that were new. Rows are taken in id order,
    /// so that replicas inserting overlapping batches lock them in the same order and never deadlock.
    /// </summary>
    public async Task<IReadOnlySet<string>> InsertAsync(IReadOnlyList<WorkMessage> messages, CancellationToken ct)
    {
        if (messages.Count == 0)
        {
            return new HashSet<string>(StringComparer.Ordinal);
        }

        await using var command = dataSource.CreateCommand("""
            INSERT INTO messages (id, type, payload, sent_at)
            SELECT * FROM unnest($1::text[], $2::text[], $3::jsonb[], $4::timestamptz[]) AS m(id, type, payload, sent_at)
            ORDER BY id
            ON CONFLICT (id) DO NOTHING
            RETURNING id
            """);
        command.Parameters.Add(new() { Value = messages.Select(m => m.Id).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
        command.Parameters.Add(new() { Value = messages.Select(m => m.Type).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
        // The payloads' own UTF-8 bytes, slices of the bodies: nothing is copied or re-encoded on the way.
        command.Parameters.Add(new() { Value = messages.Select(m => m.Payload).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Jsonb });
        command.Parameters.Add(new() { Value = messages.Select(m => m.Timestamp.UtcDateTime).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.TimestampTz });

        // A single statement is its own transaction: every row of the batch commits, or none does.
        return await IdsAsync(command, ct);
    }

    public async Task<IReadOnlySet<string>> StoredAsync(IReadOnlyCollection<string> ids, CancellationToken ct)
    {
        if (ids.Count == 0)
        {
            return new HashSet<string>(StringComparer.Ordinal);
        }

        await using var command = dataSource.CreateCommand("SELECT id FROM messages WHERE id = ANY($1)");
        command.Parameters.Add(new() { Value = ids.ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
        return await IdsAsync(command, ct);
    }

    // Runs a statement that returns ids; where the table is missing, migrates and runs it once more.
    private async Task<IReadOnlySet<string>> IdsAsync(NpgsqlCommand command, CancellationToken ct)
    {
        try
        {
            return await ReadIdsAsync(command, ct);
        }
        catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.UndefinedTable)
        {
            LogSchemaMissing(logger, ex.MessageText);
            await migrator.MigrateAsync(ct);
            return await ReadIdsAsync(command, ct);
        }
        catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.ReadOnlySqlTransaction)
        {
            // A primary demoted to a standby, or a node turned read-only: every pooled connection may still point at
            // it. They are dropped (busy ones as they come back), so that the retry connects again and, with
            // Target Session Attributes=primary, finds the primary; retried on them, it would fail for as long as
            // they live.
            LogReadOnly(logger);
            dataSource.Clear();
            throw;
        }
    }

    private static async Task<IReadOnlySet<string>> ReadIdsAsync(NpgsqlCommand command, CancellationToken ct)
    {
        var ids = new HashSet<string>(StringComparer.Ordinal);
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            ids.Add(reader.GetString(0));
        }

        return ids;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "The database refuses writes (25006 read_only_sql_transaction: a demoted primary?); dropping the pooled connections")]
    private static partial void LogReadOnly(ILogger logger);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The database has lost the worker's schema ({Reason}); migrating it again")]
    private static partial void LogSchemaMissing(ILogger logger, string reason);
}
