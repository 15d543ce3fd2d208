using RabbitMQ.Client;
using Worker.Commands;
using Worker.Messaging;

namespace Bench;

/// <summary>The bench's side of the real broker: publishing that survives broker faults, and the dead-letter queue.</summary>
public sealed class Broker(string connectionString)
{
    public string ConnectionString => connectionString;

    private const int Chunk = 256;
    private static readonly MessagingOptions Messaging = new(); // the worker's defaults: queue and dead-letter queue
    private static readonly TimeSpan ReconnectWithin = TimeSpan.FromMinutes(2);

    /// <summary>
    /// Publishes every body, confirmed, at a rate (each chunk is paced by the publisher itself). A chunk that fails (the broker stopped or restarting) is published again
    /// on a new connection, so some messages may reach the queue twice, as with any at-least-once publisher.
    /// Returns how many messages were published again after such a failure.
    /// </summary>
    public Task<int> PublishAsync(IReadOnlyList<byte[]> bodies, double ratePerSecond, CancellationToken ct, MessagingOptions? topology = null) =>
        PublishAsync(bodies, ratePerSecond, token => SamplePublisher.ConnectAsync(connectionString, topology ?? Messaging, token), ct);

    /// <summary>
    /// <see cref="PublishAsync(IReadOnlyList{byte[]}, double, CancellationToken, MessagingOptions?)"/> to a queue its
    /// consumer declared, declaring nothing: while the queue is gone, each chunk is published again until it is back.
    /// </summary>
    public Task<int> PublishToAsync(string queue, IReadOnlyList<byte[]> bodies, double ratePerSecond, CancellationToken ct) =>
        PublishAsync(bodies, ratePerSecond, token => SamplePublisher.ConnectAsync(connectionString, queue, token), ct);

    private async Task<int> PublishAsync(IReadOnlyList<byte[]> bodies, double ratePerSecond, Func<CancellationToken, Task<SamplePublisher>> connect, CancellationToken ct)
    {
        var republished = 0;
        SamplePublisher? publisher = null;
        try
        {
            foreach (var chunk in bodies.Chunk(Chunk))
            {
                while (true)
                {
                    try
                    {
                        publisher ??= await connect(ct);
                        await publisher.PublishAsync(chunk, ratePerSecond, ct);
                        break;
                    }
                    catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
                    {
                        publisher = await DiscardAsync(publisher);
                        republished += chunk.Length;
                        await Task.Delay(TimeSpan.FromMilliseconds(500), ct);
                    }
                }
            }
        }
        finally
        {
            await DiscardAsync(publisher);
        }

        return republished;
    }

    /// <summary>Messages waiting in the dead-letter queue.</summary>
    public Task<uint> DeadLetterCountAsync() => CountAsync(Messaging.DeadLetterQueue);

    /// <summary>Messages waiting in a queue; 0 when there is no such queue.</summary>
    public async Task<uint> CountAsync(string queue)
    {
        await using var connection = await ConnectAsync();
        await using var channel = await connection.CreateChannelAsync();
        try
        {
            return (await channel.QueueDeclarePassiveAsync(queue)).MessageCount;
        }
        catch (RabbitMQ.Client.Exceptions.OperationInterruptedException ex) when (ex.ShutdownReason?.ReplyCode == 404)
        {
            return 0;
        }
    }

    /// <summary>Takes every message off a queue (none when there is no such queue) and returns their bodies.</summary>
    public async Task<List<byte[]>> TakeAllAsync(string queue)
    {
        await using var connection = await ConnectAsync();
        await using var channel = await connection.CreateChannelAsync();
        var bodies = new List<byte[]>();
        try
        {
            while (await channel.BasicGetAsync(queue, autoAck: true) is { } message)
            {
                bodies.Add(message.Body.ToArray());
            }
        }
        catch (RabbitMQ.Client.Exceptions.OperationInterruptedException ex) when (ex.ShutdownReason?.ReplyCode == 404)
        {
        }

        return bodies;
    }

    public async Task<bool> ExistsAsync(string queue)
    {
        await using var connection = await ConnectAsync();
        await using var channel = await connection.CreateChannelAsync();
        try
        {
            await channel.QueueDeclarePassiveAsync(queue);
            return true;
        }
        catch (RabbitMQ.Client.Exceptions.OperationInterruptedException ex) when (ex.ShutdownReason?.ReplyCode == 404)
        {
            return false;
        }
    }

    public async Task DeleteAsync(string queue)
    {
        await using var connection = await ConnectAsync();
        await using var channel = await connection.CreateChannelAsync();
        await channel.QueueDeleteAsync(queue);
    }

    public Task PurgeDeadLettersAsync() => PurgeAsync(Messaging.DeadLetterQueue);

    public async Task PurgeAsync(string queue)
    {
        await using var connection = await ConnectAsync();
        await using var channel = await connection.CreateChannelAsync();
        await channel.QueuePurgeAsync(queue);
    }

    /// <summary>Takes every dead letter off the queue and returns the reason header of each ("" when it has none).</summary>
    public async Task<List<string>> TakeDeadLetterReasonsAsync()
    {
        await using var connection = await ConnectAsync();
        await using var channel = await connection.CreateChannelAsync();
        var reasons = new List<string>();
        while (await channel.BasicGetAsync(Messaging.DeadLetterQueue, autoAck: true) is { } message)
        {
            object? reason = null;
            message.BasicProperties.Headers?.TryGetValue(QueueTopology.ReasonHeader, out reason);
            reasons.Add(reason is byte[] text
                ? System.Text.Encoding.UTF8.GetString(text)
                : "");
        }

        return reasons;
    }

    private async Task<IConnection> ConnectAsync() =>
        await new ConnectionFactory { Uri = new Uri(connectionString) }.CreateConnectionAsync().WaitAsync(ReconnectWithin);

    private static async Task<SamplePublisher?> DiscardAsync(SamplePublisher? publisher)
    {
        if (publisher is not null)
        {
            try
            {
                await publisher.DisposeAsync();
            }
            catch (Exception)
            {
                // Its connection is already gone with the broker; nothing is left to close.
            }
        }

        return null;
    }
}
