using System.Diagnostics;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;
using Worker.Commands;
using Worker.Messaging;
using Worker.Tests.Support;

namespace Bench;

/// <summary>P4: draining a pre-filled queue, by the worker and by a no-op consumer on the same broker.</summary>
public sealed class Drain(BenchApp app)
{
    private static readonly ushort Prefetch = new MessagingOptions().Prefetch; // the worker's default

    /// <summary>The worker's drain rate (messages/s, first row to last) and its peak RSS in MB.</summary>
    public async Task<(double Rate, double PeakRssMb)> WorkerAsync(int count)
    {
        var prefix = $"bench{Guid.NewGuid():N}";
        await app.CommandAsync("worker", "resource-stop");
        await PublishAsync(new MessagingOptions().Queue, Enumerable.Range(0, count).Select(i => SampleMessages.Valid($"{prefix}-{i}")).ToList());
        await app.CommandAsync("worker", "resource-start");
        await app.WaitHealthyAsync("worker");

        var store = new Store(await app.ConnectionStringAsync("workerdb"));
        if (await store.WaitForRowsAsync(prefix, count, TimeSpan.FromMinutes(10)) < count)
        {
            throw new TimeoutException("The worker did not drain the queue within 10 minutes.");
        }

        return (count / await store.StoreSpanSecondsAsync(prefix), ProcessTree.PeakRssMb(app.WorkerProcessId()));
    }

    /// <summary>The baseline: auto-ack, same prefetch, nothing done per message; first delivery to last.</summary>
    public async Task<double> NoOpConsumerAsync(int count)
    {
        var queue = $"bench-noop-{Guid.NewGuid():N}";
        await PublishAsync(queue, Enumerable.Range(0, count).Select(i => SampleMessages.Valid($"noop-{i}")).ToList());

        var factory = new ConnectionFactory { Uri = new Uri(await app.ConnectionStringAsync("rabbitmq")) };
        await using var connection = await factory.CreateConnectionAsync();
        await using var channel = await connection.CreateChannelAsync();
        await channel.BasicQosAsync(0, Prefetch, false);
        var received = 0;
        var first = 0L;
        var last = 0L;
        var done = new TaskCompletionSource();
        var consumer = new AsyncEventingBasicConsumer(channel);
        consumer.ReceivedAsync += (_, _) =>
        {
            last = Stopwatch.GetTimestamp();
            if (Interlocked.Increment(ref received) == 1)
            {
                first = last;
            }

            if (received == count)
            {
                done.TrySetResult();
            }

            return Task.CompletedTask;
        };
        await channel.BasicConsumeAsync(queue, autoAck: true, consumer);
        await done.Task.WaitAsync(TimeSpan.FromMinutes(10));
        await channel.QueueDeleteAsync(queue);
        return count / Stopwatch.GetElapsedTime(first, last).TotalSeconds;
    }

    private async Task PublishAsync(string queue, IReadOnlyList<byte[]> bodies)
    {
        await using var publisher = await SamplePublisher.ConnectAsync(await app.ConnectionStringAsync("rabbitmq"), queue, CancellationToken.None);
        await publisher.PublishAsync(bodies, 0, CancellationToken.None);
    }
}
