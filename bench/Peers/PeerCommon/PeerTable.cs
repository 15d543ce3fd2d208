using Npgsql;
using NpgsqlTypes;

namespace PeerCommon;

/// <summary>A peer's own table, with the worker's shape (<c>Worker/Storage/SchemaMigrator.cs</c>), and its inserts.</summary>
public sealed class PeerTable(NpgsqlDataSource dataSource, PeerOptions options)
{
    public async Task EnsureAsync(CancellationToken ct)
    {
        await using var command = dataSource.CreateCommand($"""
            CREATE TABLE IF NOT EXISTS {options.Table} (
                id        text        PRIMARY KEY,
                type      text        NOT NULL,
                payload   jsonb       NOT NULL,
                sent_at   timestamptz NOT NULL,
                stored_at timestamptz NOT NULL DEFAULT now()
            );
            """);
        await command.ExecuteNonQueryAsync(ct);
    }

    /// <summary>One message, once: what a framework's per-message handler does.</summary>
    public async Task InsertAsync(SampleMessage message, CancellationToken ct)
    {
        await using var command = dataSource.CreateCommand(
            $"INSERT INTO {options.Table} (id, type, payload, sent_at) VALUES ($1, $2, $3, $4) ON CONFLICT (id) DO NOTHING");
        command.Parameters.Add(new() { Value = message.Id });
        command.Parameters.Add(new() { Value = message.Type });
        command.Parameters.Add(new() { Value = message.Payload.GetRawText(), NpgsqlDbType = NpgsqlDbType.Jsonb });
        command.Parameters.Add(new() { Value = message.At.UtcDateTime, NpgsqlDbType = NpgsqlDbType.TimestampTz });
        await command.ExecuteNonQueryAsync(ct);
    }

    /// <summary>A batch in one statement, all or none, rows taken in id order as the worker does.</summary>
    public async Task InsertAsync(IReadOnlyList<SampleMessage> messages, CancellationToken ct)
    {
        await using var command = dataSource.CreateCommand($"""
            INSERT INTO {options.Table} (id, type, payload, sent_at)
            SELECT * FROM unnest($1::text[], $2::text[], $3::jsonb[], $4::timestamptz[]) AS m(id, type, payload, sent_at)
            ORDER BY id
            ON CONFLICT (id) DO NOTHING
            """);
        command.Parameters.Add(new() { Value = messages.Select(m => m.Id!).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
        command.Parameters.Add(new() { Value = messages.Select(m => m.Type!).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
        command.Parameters.Add(new() { Value = messages.Select(m => m.Payload.GetRawText()).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Jsonb });
        command.Parameters.Add(new() { Value = messages.Select(m => m.At.UtcDateTime).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.TimestampTz });
        await command.ExecuteNonQueryAsync(ct);
    }
}
