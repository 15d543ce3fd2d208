using Aspire.Hosting;
using Aspire.Hosting.Testing;
using Npgsql;
using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;
using StackExchange.Redis;
using Worker.Commands;
using Worker.Messaging;
using Worker.Tests.Support;

namespace Worker.Tests.Integration;

/// <summary>
/// Direct access to the three real servers of the running app, the way an operator would look; its reads of the
/// messages table go to the worker's database, or to <paramref name="database"/> (a connection string) when given.
/// </summary>
public sealed class Backends(DistributedApplication app, string? database = null)
{
    private static readonly TimeSpan Connect = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan StoreWithin = TimeSpan.FromSeconds(90);

    public async Task<SamplePublisher> PublisherAsync() =>
        await Within.Async(SamplePublisher.ConnectAsync(await ConnectionStringAsync("rabbitmq"), new MessagingOptions(), CancellationToken.None),
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

    /// <summary>A new, empty database on the same server, owned by the worker's role, as a second deployment's.</summary>
    public async Task<string> CreateDatabaseAsync(string name)
    {
        var worker = new NpgsqlConnectionStringBuilder(await ConnectionStringAsync("workerdb")) { Database = name };
        await using var connection = new NpgsqlConnection(await ConnectionStringAsync("postgres") + ";Pooling=false");
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"CREATE DATABASE \"{name}\" OWNER \"{worker.Username}\"", connection);
        await command.ExecuteNonQueryAsync();
        return worker.ConnectionString;
    }

    /// <summary>Runs one command on Redis as its administrator, as an operator's redis-cli would.</summary>
    public async Task<RedisResult> RedisCommandAsync(string command, params object[] args)
    {
        await using var redis = await ConnectionMultiplexer.ConnectAsync(await ConnectionStringAsync("redis") + ",allowAdmin=true");
        return await redis.GetServers().Single().ExecuteAsync(command, args);
    }

    /// <summary>How many keys Redis holds that start with <paramref name="prefix"/>.</summary>
    public async Task<int> RedisKeysAsync(string prefix)
    {
        await using var redis = await ConnectionMultiplexer.ConnectAsync(await ConnectionStringAsync("redis"));
        return await redis.GetServers().Single().KeysAsync(pattern: prefix + "*").CountAsync();
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

    /// <summary>Runs <paramref name="action"/> on a channel of its own to the real broker, as an operator's tool would.</summary>
    public async Task<T> BrokerAsync<T>(Func<IChannel, Task<T>> action)
    {
        var factory = new ConnectionFactory { Uri = new Uri(await ConnectionStringAsync("rabbitmq")) };
        await using var connection = await Within.Async(factory.CreateConnectionAsync(), Connect, "Connecting to the broker");
        await using var channel = await connection.CreateChannelAsync();
        return await action(channel);
    }

    /// <summary>Publishes to the work queue, confirmed, without declaring anything (unlike the sample publisher).</summary>
    public async Task PublishUndeclaredAsync(IEnumerable<byte[]> bodies)
    {
        var factory = new ConnectionFactory { Uri = new Uri(await ConnectionStringAsync("rabbitmq")) };
        await using var connection = await Within.Async(factory.CreateConnectionAsync(), Connect, "Connecting to the broker");
        await using var channel = await connection.CreateChannelAsync(new CreateChannelOptions(true, true));
        var properties = new BasicProperties { Persistent = true };
        await Within.Async(
            Task.WhenAll(bodies.Select(body => channel.BasicPublishAsync("", new MessagingOptions().Queue, mandatory: true, properties, body).AsTask())),
            Connect, "Publishing");
    }

    /// <summary>The consumers on the work queue, or -1 while it does not exist.</summary>
    public Task<long> WorkQueueConsumersAsync() => BrokerAsync<long>(async channel =>
    {
        try
        {
            return (await channel.QueueDeclarePassiveAsync(new MessagingOptions().Queue)).ConsumerCount;
        }
        catch (RabbitMQ.Client.Exceptions.OperationInterruptedException)
        {
            return -1;
        }
    });

    public async Task FlushRedisAsync()
    {
        await using var redis = await ConnectionMultiplexer.ConnectAsync(await ConnectionStringAsync("redis") + ",allowAdmin=true");
        await redis.GetServers().Single().FlushAllDatabasesAsync();
    }

    /// <summary>
    /// Takes dead letters off the dead-letter queue (of the work queue, or of <paramref name="queue"/>) until <paramref name="count"/> of them contain
    /// <paramref name="marker"/> (others are dropped), and returns those with their reason.
    /// </summary>
    public async Task<List<(byte[] Body, string Reason)>> TakeDeadLettersAsync(string marker, int count, TimeSpan within, string? queue = null)
    {
        var deadLetterQueue = new MessagingOptions { Queue = queue ?? new MessagingOptions().Queue }.DeadLetterQueue;
        var factory = new ConnectionFactory { Uri = new Uri(await ConnectionStringAsync("rabbitmq")) };
        await using var connection = await factory.CreateConnectionAsync();
        var channel = await connection.CreateChannelAsync();
        var found = new List<(byte[] Body, string Reason)>();
        var needle = System.Text.Encoding.UTF8.GetBytes(marker);
        var deadline = DateTime.UtcNow + within;
        while (found.Count < count && DateTime.UtcNow < deadline)
        {
            BasicGetResult? message;
            try
            {
                message = await channel.BasicGetAsync(deadLetterQueue, autoAck: true);
            }
            catch (OperationInterruptedException ex) when (ex.ShutdownReason?.ReplyCode == 404)
            {
                // The queue is not there (yet): the worker declares it again before its next dead letter.
                await channel.DisposeAsync();
                channel = await connection.CreateChannelAsync();
                message = null;
            }

            if (message is null)
            {
                await Task.Delay(200);
            }
            else if (message.Body.Span.IndexOf(needle) >= 0)
            {
                var reason = message.BasicProperties.Headers?[QueueTopology.ReasonHeader] as byte[];
                found.Add((message.Body.ToArray(), reason is null ? "" : System.Text.Encoding.UTF8.GetString(reason)));
            }
        }

        await channel.DisposeAsync();
        return found;
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
