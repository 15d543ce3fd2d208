using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;
using Worker.Messaging;
using Worker.Tests.Support;

namespace Worker.Tests.Integration;

/// <summary>The running app's broker, as an operator's tool would reach it.</summary>
public sealed partial class Backends
{
    /// <summary>Runs <paramref name="action"/> on a channel of its own to the real broker, as an operator's tool would.</summary>
    public async Task<T> BrokerAsync<T>(Func<IChannel, Task<T>> action)
    {
        var factory = new ConnectionFactory { Uri = new Uri(await ConnectionStringAsync(broker)) };
        await using var connection = await Within.Async(factory.CreateConnectionAsync(), Connect, "Connecting to the broker");
        await using var channel = await connection.CreateChannelAsync();
        return await action(channel);
    }

    /// <summary>Publishes to the work queue, confirmed, without declaring anything (unlike the sample publisher).</summary>
    public async Task PublishUndeclaredAsync(IEnumerable<byte[]> bodies)
    {
        var factory = new ConnectionFactory { Uri = new Uri(await ConnectionStringAsync(broker)) };
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

    /// <summary>
    /// Takes dead letters off the dead-letter queue (of the work queue, or of <paramref name="queue"/>) until <paramref name="count"/> of them contain
    /// <paramref name="marker"/> (others are dropped), and returns those with their reason.
    /// </summary>
    public async Task<List<(byte[] Body, string Reason)>> TakeDeadLettersAsync(string marker, int count, TimeSpan within, string? queue = null)
    {
        var deadLetterQueue = new MessagingOptions { Queue = queue ?? new MessagingOptions().Queue }.DeadLetterQueue;
        var factory = new ConnectionFactory { Uri = new Uri(await ConnectionStringAsync(broker)) };
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
}
