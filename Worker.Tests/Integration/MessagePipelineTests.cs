using Worker.Commands;

namespace Worker.Tests.Integration;

/// <summary>Messages through the real broker into the real database, with each kind of fault in the middle of a stream.</summary>
[Collection(nameof(AppCollection))]
public sealed class MessagePipelineTests(AppFixture fixture)
{
    private static readonly TimeSpan StoreWithin = TimeSpan.FromSeconds(90);
    private static readonly TimeSpan PublishWithin = TimeSpan.FromSeconds(60);
    private readonly Backends _backends = new(fixture.App);

    [Fact]
    public async Task Published_messages_reach_the_table_and_an_id_sent_three_times_is_there()
    {
        var prefix = Prefix();
        var bodies = Enumerable.Range(0, 200).Select(i => SampleMessages.Valid($"{prefix}-{i}")).ToList();
        bodies.AddRange(Enumerable.Repeat(SampleMessages.Valid($"{prefix}-thrice"), 3));

        await PublishAsync(bodies, ratePerSecond: 0);

        await WaitForRowsAsync(_backends, prefix, 201);
        await fixture.Probes.WaitForReadyAsync(204, TimeSpan.FromSeconds(10), "after a clean stream");
        Assert.Equal(201, await _backends.RowsAsync(prefix));
    }

    [Fact]
    public async Task With_postgres_stopped_mid_stream_readiness_fails_and_afterwards_every_message_is_stored()
    {
        var plan = new PublishPlan(Count: 1500, DuplicateShare: 0.1, MalformedShare: 0, IdPrefix: Prefix());

        var distinct = await StreamWithFaultAsync(plan, TimeSpan.FromSeconds(1), async () =>
        {
            await fixture.ExecuteCommandAsync("postgres", "resource-stop");
            await fixture.Probes.WaitForReadyAsync(500, TimeSpan.FromSeconds(15), "postgres stopped mid-stream");
        });
        await fixture.ExecuteCommandAsync("postgres", "resource-start");
        await fixture.Probes.WaitForReadyAsync(204, TimeSpan.FromSeconds(30), "postgres started again");

        await WaitForRowsAsync(_backends, plan.IdPrefix, distinct);
    }

    [Fact]
    public async Task With_redis_flushed_mid_stream_every_distinct_id_is_still_stored()
    {
        var plan = new PublishPlan(Count: 1500, DuplicateShare: 0.3, MalformedShare: 0, IdPrefix: Prefix(), Seed: 7);

        var distinct = await StreamWithFaultAsync(plan, TimeSpan.FromSeconds(1.5), _backends.FlushRedisAsync);

        await WaitForRowsAsync(_backends, plan.IdPrefix, distinct);
        await fixture.Probes.WaitForReadyAsync(204, TimeSpan.FromSeconds(10), "after the flush");
    }

    [Fact]
    public async Task With_the_worker_stopped_and_started_mid_stream_every_message_is_stored()
    {
        var plan = new PublishPlan(Count: 2000, DuplicateShare: 0.1, MalformedShare: 0.02, IdPrefix: Prefix(), Seed: 3);

        var distinct = await StreamWithFaultAsync(plan, TimeSpan.FromSeconds(1), async () =>
        {
            await fixture.ExecuteCommandAsync("worker", "resource-stop");
            await fixture.ExecuteCommandAsync("worker", "resource-start");
            await fixture.WaitForHealthyAsync("worker");
        });
        await fixture.Probes.WaitForReadyAsync(204, TimeSpan.FromSeconds(60), "the worker started again");

        await WaitForRowsAsync(_backends, plan.IdPrefix, distinct);
    }

    private static string Prefix() => $"t{Guid.NewGuid():N}";

    // Publishes the plan at 500 messages/s, runs the fault after the given time, and returns the distinct ids sent.
    private async Task<int> StreamWithFaultAsync(PublishPlan plan, TimeSpan after, Func<Task> fault)
    {
        var (bodies, ids, _) = SampleMessages.Build(plan);
        var stream = PublishAsync(bodies, ratePerSecond: 500);
        await Task.Delay(after);
        await fault();
        await stream;
        return ids.Count;
    }

    private async Task PublishAsync(IReadOnlyList<byte[]> bodies, double ratePerSecond)
    {
        await using var publisher = await _backends.PublisherAsync();
        using var cancel = new CancellationTokenSource(PublishWithin);
        await publisher.PublishAsync(bodies, ratePerSecond, cancel.Token);
    }

    // Waits until the rows reach the expected count, then checks that no more arrive. A server just started again may
    // refuse a read for a moment (57P03): that counts as not there yet.
    internal static async Task WaitForRowsAsync(Backends backends, string prefix, long expected)
    {
        var deadline = DateTime.UtcNow + StoreWithin;
        long rows = -1;
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                if ((rows = await backends.RowsAsync(prefix)) >= expected)
                {
                    break;
                }
            }
            catch (Npgsql.NpgsqlException)
            {
            }

            await Task.Delay(250);
        }

        Assert.True(rows == expected, $"{rows} rows for {expected} distinct ids after {StoreWithin.TotalSeconds} s.");
        await Task.Delay(TimeSpan.FromSeconds(1));
        Assert.Equal(expected, await backends.RowsAsync(prefix));
    }
}
