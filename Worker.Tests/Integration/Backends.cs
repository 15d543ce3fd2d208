using Aspire.Hosting;
using Aspire.Hosting.Testing;
using Npgsql;
using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;
using Worker.Commands;
using Worker.Messaging;
using Worker.Tests.Support;

namespace Worker.Tests.Integration;

/// <summary>
/// Direct access to the three real servers of the running app, the way an operator would look; its reads of the
/// messages table go to the worker's database, or to <paramref name="database"/> (a connection string) when given, and
/// its broker connections to the node <paramref name="broker"/> (a resource) of a cluster.
/// </summary>
public sealed partial class Backends(DistributedApplication app, string? database = null, string broker = "rabbitmq")
{
    private static readonly TimeSpan Connect = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan StoreWithin = TimeSpan.FromSeconds(90);

    public async Task<SamplePublisher> PublisherAsync() =>
        await Within.Async(SamplePublisher.ConnectAsync(await ConnectionStringAsync(broker), new MessagingOptions(), CancellationToken.None),
            Connect, "Connecting a publisher");

    /// <summary>How many rows hold ids that start with <paramref name="prefix"/>.</summary>
    public async Task<long> RowsAsync(string prefix)
    {
        await using var connection = await OpenUnpooledAsync();
        await using var command = new NpgsqlCommand("SELECT count(*) FROM messages WHERE starts_with(id, $1)", connection)
        {
            Parameters = { new() { Value = prefix } },
        };
        return (long)(await command.ExecuteScalarAsync())!;
    }

    /// <summary>
    /// Waits until the rows with <paramref name="prefix"/> reach <paramref name="expected"/>, then checks that no more
    /// arrive. A server just started again may refuse a read for a moment (57P03): that counts as not there yet.
    /// </summary>
    public Task WaitForRowsAsync(string prefix, long expected) => WaitForRowsAsync(prefix, expected, RowsAsync);

    /// <summary>
    /// Waits until the ids stored with <paramref name="prefix"/>, together with <paramref name="storedBefore"/> (rows
    /// a server held before it came back without them), reach <paramref name="expected"/>, then checks that no more arrive.
    /// </summary>
    public Task WaitForRowsAsync(string prefix, long expected, IReadOnlySet<string> storedBefore) =>
        WaitForRowsAsync(prefix, expected, async p => (await IdsAsync(p)).Union(storedBefore).LongCount());

    private static async Task WaitForRowsAsync(string prefix, long expected, Func<string, Task<long>> rowsAsync)
    {
        var deadline = DateTime.UtcNow + StoreWithin;
        long rows = -1;
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                if ((rows = await rowsAsync(prefix)) >= expected)
                {
                    break;
                }
            }
            catch (NpgsqlException)
            {
            }

            await Task.Delay(250);
        }

        Assert.True(rows == expected, $"{rows} rows for {expected} distinct ids after {StoreWithin.TotalSeconds} s.");
        await Task.Delay(TimeSpan.FromSeconds(1));
        Assert.Equal(expected, await rowsAsync(prefix));
    }

    /// <summary>The ids stored with <paramref name="prefix"/>.</summary>
    public async Task<HashSet<string>> IdsAsync(string prefix)
    {
        await using var connection = await OpenUnpooledAsync();
        return await ReadIdsAsync(connection, null, prefix);
    }

    private static async Task<HashSet<string>> ReadIdsAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, string prefix)
    {
        await using var command = new NpgsqlCommand("SELECT id FROM messages WHERE starts_with(id, $1)", connection, transaction) { Parameters = { new() { Value = prefix } } };
        await using var reader = await command.ExecuteReaderAsync();
        var ids = new HashSet<string>(StringComparer.Ordinal);
        while (await reader.ReadAsync())
        {
            ids.Add(reader.GetString(0));
        }

        return ids;
    }

    /// <summary>
    /// A new, empty database on the same server, owned by the worker's role, as a second deployment's; with
    /// <paramref name="replacing"/>, one of that name is dropped first, as a new cluster would have it.
    /// </summary>
    public async Task<string> CreateDatabaseAsync(string name, bool replacing = false)
    {
        var worker = new NpgsqlConnectionStringBuilder(await ConnectionStringAsync("workerdb")) { Database = name };
        await using var connection = new NpgsqlConnection(await ConnectionStringAsync("postgres") + ";Pooling=false");
        await connection.OpenAsync();
        var drop = replacing ? $"DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)" : null;
        foreach (var sql in new[] { drop, $"CREATE DATABASE \"{name}\" OWNER \"{worker.Username}\"" }.OfType<string>())
        {
            await using var command = new NpgsqlCommand(sql, connection);
            await command.ExecuteNonQueryAsync();
        }

        return worker.ConnectionString;
    }

    /// <summary>Drops the worker's table, as an operator's mistake or a restore without it would leave the database.</summary>
    public async Task DropMessagesTableAsync()
    {
        await using var connection = await OpenUnpooledAsync();
        await using var command = new NpgsqlCommand("DROP TABLE messages", connection);
        await command.ExecuteNonQueryAsync();
    }

    /// <summary>
    /// Holds <c>LOCK TABLE messages IN ACCESS EXCLUSIVE MODE</c> in a session of its own until disposed: every insert
    /// waits, while the database still answers everything else.
    /// </summary>
    public async Task<TableLock> LockMessagesTableAsync()
    {
        var connection = new NpgsqlConnection(await ConnectionStringAsync("workerdb"));
        await connection.OpenAsync();
        var transaction = await connection.BeginTransactionAsync();
        await using var command = new NpgsqlCommand("LOCK TABLE messages IN ACCESS EXCLUSIVE MODE", connection, transaction);
        await command.ExecuteNonQueryAsync();
        return new TableLock(connection, transaction);
    }

    /// <summary>
    /// Inserts a row for <paramref name="id"/> in a transaction that stays open until disposed, and is then rolled
    /// back: the worker's insert of that id waits for it, while every other id is stored as ever.
    /// </summary>
    public async Task<TableLock> HoldUncommittedRowAsync(string id)
    {
        var connection = new NpgsqlConnection(await ConnectionStringAsync("workerdb"));
        await connection.OpenAsync();
        var transaction = await connection.BeginTransactionAsync();
        await using var command = new NpgsqlCommand("INSERT INTO messages (id, type, payload, sent_at) VALUES ($1, 'held', '{}', now())", connection, transaction);
        command.Parameters.Add(new() { Value = id });
        await command.ExecuteNonQueryAsync();
        return new TableLock(connection, transaction);
    }

    // Unpooled: a pooled connection would outlive a server the tests stop and start.
    private async Task<NpgsqlConnection> OpenUnpooledAsync()
    {
        var connection = new NpgsqlConnection((database ?? await ConnectionStringAsync("workerdb")) + ";Pooling=false");
        await connection.OpenAsync();
        return connection;
    }

    private async Task<string> ConnectionStringAsync(string name) =>
        await app.GetConnectionStringAsync(name) ?? throw new InvalidOperationException($"No connection string for {name}.");

    /// <summary>The lock's session: it reads the table while no insert can commit, and ends with its server if need be.</summary>
    public sealed class TableLock(NpgsqlConnection connection, NpgsqlTransaction transaction) : IAsyncDisposable
    {
        /// <summary>The ids stored with <paramref name="prefix"/>, as no other session can change them now.</summary>
        public async Task<HashSet<string>> IdsAsync(string prefix) => await ReadIdsAsync(connection, transaction, prefix);

        public async ValueTask DisposeAsync()
        {
            try
            {
                await transaction.RollbackAsync();
            }
            catch (NpgsqlException) when (connection.State != System.Data.ConnectionState.Open)
            {
                // The server went away with the lock, which ended it.
            }

            await transaction.DisposeAsync();
            await connection.DisposeAsync();
        }
    }
}
