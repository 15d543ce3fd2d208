using Npgsql;
using NpgsqlTypes;
using Worker.Contract;

namespace Worker.Storage;

/// <summary>Where messages are kept for good.</summary>
public interface IMessageStore
{
    /// <summary>Stores the messages whose id is new, all or none; returns those ids.</summary>
    Task<IReadOnlySet<string>> InsertAsync(IReadOnlyList<WorkMessage> messages, CancellationToken ct);
}

/// <summary>Postgres, the source of truth: a message id is stored once, whatever Redis remembers.</summary>
public sealed class MessageStore(NpgsqlDataSource dataSource) : IMessageStore
{
    /// <summary>
    /// Inserts a batch in one statement and one transaction; returns the ids that were new. Rows are taken in id order,
    /// so that replicas inserting overlapping batches lock them in the same order and never deadlock.
    /// </summary>
    public async Task<IReadOnlySet<string>> InsertAsync(IReadOnlyList<WorkMessage> messages, CancellationToken ct)
    {
        var inserted = new HashSet<string>(StringComparer.Ordinal);
        if (messages.Count == 0)
        {
            return inserted;
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
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            inserted.Add(reader.GetString(0));
        }

        return inserted;
    }
}
