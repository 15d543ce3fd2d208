using Worker.Commands;

namespace Worker.Tests.Integration;

/// <summary>
/// Messages through the real broker into the real database, with each kind of fault in the middle of a stream. A
/// stopped server is a process or a container, so these run in both modes (<see cref="ProcessesMessagePipelineTests"/>,
/// <see cref="Containers.ContainersMessagePipelineTests"/>).
/// </summary>
public abstract class MessagePipelineTests<TFixture>(TFixture fixture)
    where TFixture : AppFixture
{
    private static readonly TimeSpan PublishWithin = TimeSpan.FromSeconds(60);
    private readonly Backends _backends = new(fixture.App);

    [Fact]
    public async Task Published_messages_reach_the_table_and_an_id_sent_three_times_is_there()
    {
        var prefix = Prefix();
        var bodies = Enumerable.Range(0, 200).Select(i => SampleMessages.Valid($"{prefix}-{i}")).ToList();
        bodies.AddRange(Enumerable.Repeat(SampleMessages.Valid($"{prefix}-thrice"), 3));

        await PublishAsync(bodies, ratePerSecond: 0);

        await _backends.WaitForRowsAsync(prefix, 201);
        await fixture.Probes.WaitForReadyAsync(204, TimeSpan.FromSeconds(10), "after a clean stream");
        Assert.Equal(201, await _backends.RowsAsync(prefix));
    }

    [Fact]
    public async Task With_postgres_stopped_mid_stream_readiness_fails_and_afterwards_every_message_is_stored()
    {
        var plan = new PublishPlan(Count: 1500, DuplicateShare: 0.1, MalformedShare: 0, IdPrefix: Prefix());
        IReadOnlySet<string> before = new HashSet<string>();

        var distinct = await StreamWithFaultAsync(plan, TimeSpan.FromSeconds(1), async () =>
        {
            // What the server holds when it stops, read under a lock that lets no insert commit until the server is
            // gone: a server in a container comes back empty (Aspire gives it no volume), a local one with its rows.
            await using (var locked = await _backends.LockMessagesTableAsync())
            {
                before = await locked.IdsAsync(plan.IdPrefix);
                await fixture.ExecuteCommandAsync("postgres", "resource-stop");
            }

            await fixture.Probes.WaitForReadyAsync(500, TimeSpan.FromSeconds(15), "postgres stopped mid-stream");
        });
        await fixture.ExecuteCommandAsync("postgres", "resource-start");
        await fixture.Probes.WaitForReadyAsync(204, TimeSpan.FromSeconds(30), "postgres started again");

        // Each id is in the server as it came back, or was among the rows acked before it stopped: none is lost.
        await _backends.WaitForRowsAsync(plan.IdPrefix, distinct, before);
    }

    [Fact]
    public async Task With_the_table_dropped_mid_stream_every_id_sent_again_or_new_is_stored_once()
    {
        var before = new PublishPlan(Count: 600, DuplicateShare: 0, MalformedShare: 0, IdPrefix: Prefix());
        var after = before with { Count = 200, IdPrefix = before.IdPrefix + "-new", Seed = 5 };

        var distinct = await StreamWithFaultAsync(before, TimeSpan.FromSeconds(0.5), _backends.DropMessagesTableAsync);
        // Ids stored before the drop (and marked in Redis), with ids never seen: the table holds each once.
        await PublishAsync([.. SampleMessages.Build(before).Bodies, .. SampleMessages.Build(after).Bodies], ratePerSecond: 0);

        await _backends.WaitForRowsAsync(before.IdPrefix, distinct + 200);
        Assert.Contains(fixture.Logs.Lines("worker"), line => line.Contains("migrating it again", StringComparison.Ordinal));
        await fixture.Probes.WaitForReadyAsync(204, TimeSpan.FromSeconds(10), "after the table came back");
    }

    [Fact]
    public async Task With_redis_flushed_mid_stream_every_distinct_id_is_still_stored()
    {
        var plan = new PublishPlan(Count: 1500, DuplicateShare: 0.3, MalformedShare: 0, IdPrefix: Prefix(), Seed: 7);

        var distinct = await StreamWithFaultAsync(plan, TimeSpan.FromSeconds(1.5), _backends.FlushRedisAsync);

        await _backends.WaitForRowsAsync(plan.IdPrefix, distinct);
        await fixture.Probes.WaitForReadyAsync(204, TimeSpan.FromSeconds(10), "after the flush");
    }

    [Fact]
    public async Task With_the_worker_stopped_and_started_mid_stream_every_message_is_stored()
    {
        var plan = new PublishPlan(Count: 2000, DuplicateShare: 0.1, MalformedShare: 0.02, IdPrefix: Prefix(), Seed: 3);

        var distinct = await StreamWithFaultAsync(plan, TimeSpan.FromSeconds(1), async () =>
        {
            var drainedBefore = fixture.Logs.Lines("worker").Count(IsDrained);
            await fixture.ExecuteCommandAsync("worker", "resource-stop");
            // The stop is a SIGTERM: the worker drained what it had in flight before it exited (its log lines may
            // reach the test a moment after the stop).
            for (var deadline = DateTime.UtcNow.AddSeconds(10); fixture.Logs.Lines("worker").Count(IsDrained) == drainedBefore && DateTime.UtcNow < deadline;)
            {
                await Task.Delay(200);
            }

            Assert.Equal(drainedBefore + 1, fixture.Logs.Lines("worker").Count(IsDrained));
            await fixture.ExecuteCommandAsync("worker", "resource-start");
            await fixture.WaitForHealthyAsync("worker");
        });
        await fixture.Probes.WaitForReadyAsync(204, TimeSpan.FromSeconds(60), "the worker started again");

        await _backends.WaitForRowsAsync(plan.IdPrefix, distinct);
    }

    private static string Prefix() => $"t{Guid.NewGuid():N}";

    private static bool IsDrained(string line) => line.Contains("Drained: every in-flight message finished and was acked", StringComparison.Ordinal);

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
}

[Collection(nameof(AppCollection))]
public sealed class ProcessesMessagePipelineTests(AppFixture fixture) : MessagePipelineTests<AppFixture>(fixture);
