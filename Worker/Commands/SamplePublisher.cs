using Microsoft.Extensions.Options;
using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;
using Worker.Messaging;

namespace Worker.Commands;

/// <summary>Publishes bodies to the work queue with publisher confirms, optionally at a fixed rate.</summary>
public sealed class SamplePublisher : IAsyncDisposable
{
    private const int ConfirmWindow = 256;
    // Long enough for a quorum queue whose node returned to catch up (measured: over 9 s after a quorum came back).
    private static readonly TimeSpan NackRetryFor = TimeSpan.FromSeconds(60);
    private readonly IConnection _connection;
    private readonly IChannel _channel;
    private readonly string _queue;

    private SamplePublisher(IConnection connection, IChannel channel, string queue) =>
        (_connection, _channel, _queue) = (connection, channel, queue);

    /// <param name="topology">The queue and its type, as the worker that consumes it is configured.</param>
    public static async Task<SamplePublisher> ConnectAsync(string connectionString, MessagingOptions topology, CancellationToken ct)
    {
        var publisher = await ConnectAsync(connectionString, topology.Queue, ct);
        // The same topology the worker declares, so messages published before it starts wait in the queue.
        await new QueueTopology(Options.Create(topology)).DeclareAsync(publisher._channel, ct);
        return publisher;
    }

    /// <summary>
    /// To a queue that exists, declaring nothing: one that another consumer declared with arguments of its own, or
    /// one whose loss the publisher must not mend. A publish to a queue that is gone fails as a return.
    /// </summary>
    public static async Task<SamplePublisher> ConnectAsync(string connectionString, string queue, CancellationToken ct)
    {
        var connection = await new ConnectionFactory { Uri = new Uri(connectionString) }.CreateConnectionAsync(ct);
        var channel = await connection.CreateChannelAsync(new CreateChannelOptions(true, true), ct);
        return new SamplePublisher(connection, channel, queue);
    }

    /// <summary>Publishes every body, confirmed by the broker; <paramref name="ratePerSecond"/> 0 means as fast as it goes.</summary>
    public async Task PublishAsync(IReadOnlyList<byte[]> bodies, double ratePerSecond, CancellationToken ct)
    {
        var properties = new BasicProperties { Persistent = true, ContentType = "application/json" };
        var started = TimeProvider.System.GetTimestamp();
        var pending = new List<Task>(ConfirmWindow);
        for (var i = 0; i < bodies.Count; i++)
        {
            if (ratePerSecond > 0)
            {
                var due = TimeSpan.FromSeconds(i / ratePerSecond) - TimeProvider.System.GetElapsedTime(started);
                if (due > TimeSpan.Zero)
                {
                    await Task.WhenAll(pending);
                    pending.Clear();
                    await Task.Delay(due, ct);
                }
            }

            pending.Add(PublishConfirmedAsync(properties, bodies[i], ct));
            if (pending.Count == ConfirmWindow)
            {
                await Task.WhenAll(pending);
                pending.Clear();
            }
        }

        await Task.WhenAll(pending);
    }

    // A quorum queue nacks what it cannot take while it elects a leader. Publishing again is safe: the worker stores
    // each id once. A return (no such queue) is not retried.
    private async Task PublishConfirmedAsync(BasicProperties properties, byte[] body, CancellationToken ct)
    {
        var started = TimeProvider.System.GetTimestamp();
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await _channel.BasicPublishAsync("", _queue, mandatory: true, properties, body, ct);
                return;
            }
            catch (PublishException ex) when (!ex.IsReturn && TimeProvider.System.GetElapsedTime(started) < NackRetryFor)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(Math.Min(200 * attempt, 2000)), ct);
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _channel.CloseAsync();
        await _connection.CloseAsync();
        _channel.Dispose();
        _connection.Dispose();
    }
}
