using System.Diagnostics;
using Worker.Commands;
using Worker.Messaging;
using Worker.Tests.Support;

namespace Worker.Tests.Integration;

/// <summary>
/// What the broker does to a running worker, done to the real broker: the worker heals by itself, its probes say so
/// while it does, and no message is lost on the way.
/// </summary>
[Collection(nameof(AppCollection))]
public sealed class BrokerEventTests(AppFixture fixture)
{
    private static readonly TimeSpan Within = TimeSpan.FromSeconds(30);
    private readonly Backends _backends = new(fixture.App);
    private readonly MessagingOptions _messaging = new();

    [Fact]
    public async Task The_work_queue_deleted_under_the_worker_is_declared_again_and_consumed_within_30_s()
    {
        await fixture.Probes.WaitForReadyAsync(204, Within, "before the queue is deleted");

        await _backends.BrokerAsync(channel => channel.QueueDeleteAsync(_messaging.Queue, ifUnused: false, ifEmpty: false));

        var clock = Stopwatch.StartNew();
        while (await _backends.WorkQueueConsumersAsync() < 1)
        {
            Assert.True(clock.Elapsed < Within, $"No consumer on a re-declared '{_messaging.Queue}' within {Within.TotalSeconds} s.");
            Assert.Equal(204, await fixture.Probes.StatusAsync(ProbeClient.Alive));
            await Task.Delay(250);
        }

        var prefix = $"q{Guid.NewGuid():N}";
        await PublishAsync(Enumerable.Range(0, 20).Select(i => SampleMessages.Valid($"{prefix}-{i}")).ToList());
        await _backends.WaitForRowsAsync(prefix, 20);
        await fixture.Probes.WaitForReadyAsync(204, Within, "consuming the re-declared queue");
        Assert.Contains(fixture.Logs.Lines("worker"), line => line.Contains("The consumer is gone: the broker cancelled the consumer", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Dead_letters_survive_their_queue_and_exchange_being_deleted_and_none_is_lost()
    {
        await fixture.Probes.WaitForReadyAsync(204, Within, "before the dead-letter topology is deleted");
        await _backends.BrokerAsync(async channel =>
        {
            await channel.QueueDeleteAsync(_messaging.DeadLetterQueue, ifUnused: false, ifEmpty: false);
            await channel.ExchangeDeleteAsync(_messaging.DeadLetterExchange);
            return true;
        });

        var marker = $"d{Guid.NewGuid():N}";
        var poison = SampleMessages.Poison(marker);
        await _backends.PublishUndeclaredAsync(poison.Select(p => p.Body));

        // Each was routed nowhere (or to no exchange) at first: the worker declared the topology again and published
        // it again, and acked nothing before that.
        var deadLetters = await _backends.TakeDeadLettersAsync(marker, poison.Count, Within);
        Assert.Equal(poison.Count, deadLetters.Count);
        Assert.All(poison, p => Assert.Contains(deadLetters, d => d.Body.AsSpan().SequenceEqual(p.Body)));
        await fixture.Probes.WaitForReadyAsync(204, Within, "after the dead letters");
    }

    [Fact]
    public async Task A_memory_alarm_fails_readiness_but_not_liveness_until_it_clears()
    {
        await fixture.Probes.WaitForReadyAsync(204, Within, "before the alarm");

        await fixture.BrokerCtlAsync("set_vm_memory_high_watermark", "0.000001");
        try
        {
            await fixture.Probes.WaitForReadyAsync(500, Within, "a memory alarm blocks publishing");
        }
        finally
        {
            await fixture.BrokerCtlAsync("set_vm_memory_high_watermark", "0.4");
        }

        await fixture.Probes.WaitForReadyAsync(204, Within, "the alarm cleared");
        Assert.Contains(fixture.Logs.Lines("worker"), line => line.Contains("The broker blocks the dead letters connection", StringComparison.Ordinal));
    }

    private async Task PublishAsync(IReadOnlyList<byte[]> bodies)
    {
        await using var publisher = await _backends.PublisherAsync();
        using var cancel = new CancellationTokenSource(Within);
        await publisher.PublishAsync(bodies, 0, cancel.Token);
    }
}
