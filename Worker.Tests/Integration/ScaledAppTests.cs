using Worker.Commands;

namespace Worker.Tests.Integration;

/// <summary>Two workers on one queue, and an outage longer than the broker's consumer timeout.</summary>
[Collection(nameof(ScaledAppCollection))]
public sealed class ScaledAppTests(ScaledAppFixture fixture)
{
    private static readonly TimeSpan Within = TimeSpan.FromSeconds(60);
    private readonly Backends _backends = new(fixture.App);

    [Fact]
    public async Task Two_workers_store_every_id_once_under_30_percent_duplicates_without_a_deadlock()
    {
        Assert.Equal(["worker", "worker-2"], fixture.Workers);
        var deadline = DateTime.UtcNow + Within;
        while (await _backends.WorkQueueConsumersAsync() != 2)
        {
            Assert.True(DateTime.UtcNow < deadline, $"The work queue did not have both workers as consumers within {Within.TotalSeconds} s.");
            await Task.Delay(250);
        }

        var plan = new PublishPlan(Count: 3000, DuplicateShare: 0.3, MalformedShare: 0, IdPrefix: $"r{Guid.NewGuid():N}", Seed: 5);
        var (bodies, ids, _) = SampleMessages.Build(plan);

        await using (var publisher = await _backends.PublisherAsync())
        {
            using var cancel = new CancellationTokenSource(Within);
            await publisher.PublishAsync(bodies, 0, cancel.Token);
        }

        await _backends.WaitForRowsAsync(plan.IdPrefix, ids.Count);
        foreach (var worker in fixture.Workers)
        {
            // Inserts take rows in id order, so two workers with overlapping batches never deadlock (40P01).
            Assert.DoesNotContain(fixture.Logs.Lines(worker), line => line.Contains("40P01", StringComparison.Ordinal) || line.Contains("deadlock", StringComparison.OrdinalIgnoreCase));
            Assert.Contains(fixture.Logs.Lines(worker), line => line.Contains("Consuming work", StringComparison.Ordinal));
        }
    }

    [Fact]
    public async Task An_outage_longer_than_the_consumer_timeout_ends_in_a_new_channel_and_no_restart()
    {
        await fixture.Probes.WaitForReadyAsync(204, Within, "before the outage");
        var pid = fixture.ProcessId("worker");
        var prefix = $"c{Guid.NewGuid():N}";

        await fixture.ExecuteCommandAsync("postgres", "resource-stop");
        try
        {
            await using (var publisher = await _backends.PublisherAsync())
            {
                using var cancel = new CancellationTokenSource(Within);
                await publisher.PublishAsync([.. Enumerable.Range(0, 40).Select(i => SampleMessages.Valid($"{prefix}-{i}"))], 0, cancel.Token);
            }

            // The deliveries stay unacked while Postgres is away; after 5 s the broker cancels the consumer and closes
            // its channel (406). Liveness is asserted 204 on every poll: an outage never restarts the worker.
            var deadline = DateTime.UtcNow + Within;
            while (!fixture.Logs.Lines("rabbitmq").Any(line => line.Contains("delivery acknowledgement on channel", StringComparison.Ordinal))
                || !fixture.Logs.Lines("worker").Any(line => line.Contains("The consumer is gone", StringComparison.Ordinal)))
            {
                Assert.True(DateTime.UtcNow < deadline, $"The broker did not close the channel for its consumer timeout within {Within.TotalSeconds} s.");
                Assert.Equal(204, await fixture.Probes.StatusAsync(ProbeClient.Alive));
                await Task.Delay(500);
            }
        }
        finally
        {
            await fixture.ExecuteCommandAsync("postgres", "resource-start");
        }

        await _backends.WaitForRowsAsync(prefix, 40);
        Assert.Contains(fixture.Logs.Lines("worker"), line => line.Contains("Consuming work", StringComparison.Ordinal));
        await fixture.Probes.WaitForReadyAsync(204, Within, "Postgres is back and the worker consumes on a new channel");
        Assert.Equal(pid, fixture.ProcessId("worker"));
    }
}
