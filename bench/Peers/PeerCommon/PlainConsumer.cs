using System.Threading.Channels;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;
using RabbitMQ.Client.Exceptions;

namespace PeerCommon;

/// <summary>
/// The minimal hand-written consumer, the drain rate's anchor: take what has arrived (up to a batch), parse, one
/// <c>INSERT … SELECT FROM unnest</c>, and ack after the commit. Nothing else: no Redis, no telemetry, no dead-letter
/// queue (a message it cannot store is rejected, and the broker drops it). A database that is down is retried every
/// second; a row PostgreSQL refuses is found by storing the batch one row at a time.
/// </summary>
public sealed partial class PlainConsumer(IConnection connection, PeerTable table, PeerOptions options, ILogger<PlainConsumer> logger) : BackgroundService
{
    private const int BatchSize = 256;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await using var channel = await connection.CreateChannelAsync(cancellationToken: stoppingToken);
        await channel.QueueDeclareAsync(options.Queue, durable: true, exclusive: false, autoDelete: false,
            arguments: new Dictionary<string, object?> { ["x-queue-type"] = options.QueueType }, cancellationToken: stoppingToken);
        await channel.BasicQosAsync(0, (ushort)options.Prefetch, false, stoppingToken);
        var deliveries = Channel.CreateUnbounded<(ulong Tag, byte[] Body)>(new UnboundedChannelOptions { SingleReader = true });
        var consumer = new AsyncEventingBasicConsumer(channel);
        consumer.ReceivedAsync += (_, delivery) =>
        {
            // The client reuses the body's buffer once the handler returns.
            deliveries.Writer.TryWrite((delivery.DeliveryTag, delivery.Body.ToArray()));
            return Task.CompletedTask;
        };
        await channel.BasicConsumeAsync(options.Queue, autoAck: false, consumer, stoppingToken);
        var batch = new List<(ulong Tag, byte[] Body)>(BatchSize);
        try
        {
            while (await deliveries.Reader.WaitToReadAsync(stoppingToken))
            {
                batch.Clear();
                while (batch.Count < BatchSize && deliveries.Reader.TryRead(out var delivery))
                {
                    batch.Add(delivery);
                }

                await HandleAsync(channel, batch, stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping: what was not acked goes back to the queue with the channel.
        }
    }

    private async Task HandleAsync(IChannel channel, List<(ulong Tag, byte[] Body)> batch, CancellationToken ct)
    {
        var valid = new List<(ulong Tag, SampleMessage Message)>(batch.Count);
        var refused = new List<ulong>();
        foreach (var (tag, body) in batch)
        {
            try
            {
                valid.Add((tag, SampleMessage.Parse(body)));
            }
            catch (InvalidMessageException ex)
            {
                LogRefused(logger, ex.Message);
                refused.Add(tag);
            }
        }

        refused.AddRange(await StoreAsync(valid, ct));
        try
        {
            foreach (var tag in refused)
            {
                await channel.BasicNackAsync(tag, multiple: false, requeue: false, ct);
            }

            if (valid.Select(v => v.Tag).Except(refused).DefaultIfEmpty().Max() is > 0 and var last)
            {
                await channel.BasicAckAsync(last, multiple: true, ct);
            }
        }
        catch (Exception ex) when (ex is AlreadyClosedException or OperationInterruptedException)
        {
            // The channel went with the broker: the client recovers it and the consumer, and the broker delivers the
            // batch again (stored once: ON CONFLICT DO NOTHING).
            LogAckLost(logger, ex.Message);
        }
    }

    // Stores the batch; returns the tags of the rows PostgreSQL refuses (a data exception, SQLSTATE class 22).
    private async Task<List<ulong>> StoreAsync(List<(ulong Tag, SampleMessage Message)> valid, CancellationToken ct)
    {
        while (true)
        {
            try
            {
                await table.InsertAsync(valid.Select(v => v.Message).ToList(), ct);
                return [];
            }
            catch (PostgresException ex) when (ex.SqlState.StartsWith("22", StringComparison.Ordinal))
            {
                return await StoreOneByOneAsync(valid, ct);
            }
            catch (NpgsqlException ex)
            {
                LogStoreFailed(logger, ex.Message);
                await Task.Delay(TimeSpan.FromSeconds(1), ct);
            }
        }
    }

    private async Task<List<ulong>> StoreOneByOneAsync(List<(ulong Tag, SampleMessage Message)> valid, CancellationToken ct)
    {
        var refused = new List<ulong>();
        foreach (var (tag, message) in valid)
        {
            try
            {
                await table.InsertAsync([message], ct);
            }
            catch (PostgresException ex) when (ex.SqlState.StartsWith("22", StringComparison.Ordinal))
            {
                LogRefused(logger, ex.MessageText);
                refused.Add(tag);
            }
        }

        return refused;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Rejected a message: {Reason}")]
    private static partial void LogRefused(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "A batch's acks were lost with the channel, it will be delivered again: {Reason}")]
    private static partial void LogAckLost(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Storing a batch failed, retrying in 1 s: {Reason}")]
    private static partial void LogStoreFailed(ILogger logger, string reason);
}
