using Aspire.Hosting;
using Aspire.Hosting.Testing;
using Npgsql;
using RabbitMQ.Client;
using StackExchange.Redis;
using Worker.Commands;
using Worker.Messaging;
using Worker.Tests.Support;

namespace Worker.Tests.Integration;

/// <summary>Direct access to the three real servers of the running app, the way an operator would look.</summary>
public sealed class Backends(DistributedApplication app)
{
    private static readonly TimeSpan Connect = TimeSpan.FromSeconds(30);

    public async Task<SamplePublisher> PublisherAsync() =>
        await Within.Async(SamplePublisher.ConnectAsync(await ConnectionStringAsync("rabbitmq"), new MessagingOptions().Queue, CancellationToken.None),
            Connect, "Connecting a publisher");

    /// <summary>How many rows hold ids that start with <paramref name="prefix"/>.</summary>
    public async Task<long> RowsAsync(string prefix)
    {
        await using var connection = new NpgsqlConnection(await ConnectionStringAsync("workerdb"));
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT count(*) FROM messages WHERE starts_with(id, $1)", connection)
        {
            Parameters = { new() { Value = prefix } },
        };
        return (long)(await command.ExecuteScalarAsync())!;
    }

    public async Task FlushRedisAsync()
    {
        await using var redis = await ConnectionMultiplexer.ConnectAsync(await ConnectionStringAsync("redis") + ",allowAdmin=true");
        await redis.GetServers().Single().FlushAllDatabasesAsync();
    }

    /// <summary>Takes dead letters off the dead-letter queue until one's body contains <paramref name="marker"/>.</summary>
    public async Task<(string Body, string Reason)> FindDeadLetterAsync(string marker, TimeSpan within)
    {
        var factory = new ConnectionFactory { Uri = new Uri(await ConnectionStringAsync("rabbitmq")) };
        await using var connection = await factory.CreateConnectionAsync();
        await using var channel = await connection.CreateChannelAsync();
        var deadline = DateTime.UtcNow + within;
        while (DateTime.UtcNow < deadline)
        {
            var message = await channel.BasicGetAsync(new MessagingOptions().DeadLetterQueue, autoAck: true);
            if (message is null)
            {
                await Task.Delay(200);
                continue;
            }

            var body = System.Text.Encoding.UTF8.GetString(message.Body.Span);
            if (body.Contains(marker, StringComparison.Ordinal))
            {
                var reason = message.BasicProperties.Headers?[QueueTopology.ReasonHeader] as byte[];
                return (body, reason is null ? "" : System.Text.Encoding.UTF8.GetString(reason));
            }
        }

        throw new TimeoutException($"No dead letter containing {marker} within {within.TotalSeconds} s.");
    }

    private async Task<string> ConnectionStringAsync(string name) =>
        await app.GetConnectionStringAsync(name) ?? throw new InvalidOperationException($"No connection string for {name}.");
}
