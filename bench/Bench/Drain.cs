using System.Diagnostics;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;
using Worker.Commands;
using Worker.Messaging;
using Harness;

namespace Bench;

/// <summary>P4: draining a pre-filled queue, by the worker and by a no-op consumer on the same broker.</summary>
public sealed class Drain(BenchApp app, Broker broker, Store store)
{
    private static readonly TimeSpan DrainWithin = TimeSpan.FromMinutes(10);
    private static readonly ushort Prefetch = new MessagingOptions().Prefetch; // the worker's default

    /// <summary>
    /// The worker's drain rate (messages/s, first row to last) and its peak RSS in MB. With <paramref name="queueType"/>
    /// the worker consumes a queue of that type of its own (the work queue's type cannot change once declared).
    /// </summary>
    public async Task<(double Rate, double PeakRssMb)> WorkerAsync(int count, string? queueType = null)
    {
        var prefix = $"bench{Guid.NewGuid():N}";
        var bodies = Enumerable.Range(0, count).Select(i => SampleMessages.Valid($"{prefix}-{i}")).ToList();
        var topology = Topology(queueType);
        if (queueType is not null)
        {
            app.WorkerSettings["Messaging__Queue"] = topology.Queue;
            app.WorkerSettings["Messaging__QueueType"] = topology.QueueType;
        }

        try
        {
            await app.WhileWorkerStoppedAsync(() => PublishAsync(bodies, topology));
        }
        finally
        {
            app.WorkerSettings.Remove("Messaging__Queue");
            app.WorkerSettings.Remove("Messaging__QueueType");
        }

        if (await store.WaitForRowsAsync(prefix, count, DrainWithin) < count)
        {
            throw new TimeoutException("The worker did not drain the queue within 10 minutes.");
        }

        return (count / await store.StoreSpanSecondsAsync(prefix), ProcessTree.PeakRssMb(app.WorkerProcessId()));
    }

    /// <summary>
    /// The baseline: auto-ack, same prefetch, nothing done per message; first delivery to last. With
    /// <paramref name="manualAck"/>, each batch of half the prefetch is acked at once (<c>multiple</c>): the broker's own
    /// limit when every message is acked, as every consumer that loses nothing must.
    /// </summary>
    public async Task<double> NoOpConsumerAsync(int count, string? queueType = null, bool manualAck = false)
    {
        var queue = $"bench-noop-{Guid.NewGuid():N}";
        await PublishAsync(Enumerable.Range(0, count).Select(i => SampleMessages.Valid($"noop-{i}")).ToList(),
            new MessagingOptions { Queue = queue, QueueType = queueType ?? new MessagingOptions().QueueType });

        var factory = new ConnectionFactory { Uri = new Uri(broker.ConnectionString) };
        await using var connection = await factory.CreateConnectionAsync();
        await using var channel = await connection.CreateChannelAsync();
        await channel.BasicQosAsync(0, Prefetch, false);
        var received = 0;
        var first = 0L;
        var last = 0L;
        var done = new TaskCompletionSource();
        var consumer = new AsyncEventingBasicConsumer(channel);
        consumer.ReceivedAsync += async (_, delivery) =>
        {
            last = Stopwatch.GetTimestamp();
            if (Interlocked.Increment(ref received) == 1)
            {
                first = last;
            }

            if (manualAck && (received % (Prefetch / 2) == 0 || received == count))
            {
                await channel.BasicAckAsync(delivery.DeliveryTag, multiple: true);
            }

            if (received == count)
            {
                done.TrySetResult();
            }
        };
        await channel.BasicConsumeAsync(queue, autoAck: !manualAck, consumer);
        await done.Task.WaitAsync(DrainWithin);
        await channel.QueueDeleteAsync(queue);
        return count / Stopwatch.GetElapsedTime(first, last).TotalSeconds;
    }

    private static MessagingOptions Topology(string? queueType) =>
        queueType is null ? new MessagingOptions() : new MessagingOptions { Queue = $"work-{queueType}", QueueType = queueType };

    private async Task PublishAsync(IReadOnlyList<byte[]> bodies, MessagingOptions topology)
    {
        using var within = new CancellationTokenSource(DrainWithin);
        await broker.PublishAsync(bodies, 0, within.Token, topology);
    }
}
