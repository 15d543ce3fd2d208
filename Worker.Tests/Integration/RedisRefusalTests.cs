using Worker.Commands;

namespace Worker.Tests.Integration;

/// <summary>
/// Redis answers but refuses writes, after the batch's rows are committed: out of memory under noeviction, or turned
/// into a read-only replica as a failover leaves the old primary. Its marks are only hints, so the batches are stored,
/// acked and counted as ever, the degradation is logged once each way, and no batch is reported as failed.
/// </summary>
[Collection(nameof(AppCollection))]
public sealed class RedisRefusalTests(AppFixture fixture)
{
    private readonly Backends _backends = new(fixture.App);

    public static TheoryData<string, string> Refusals => new()
    {
        { "out of memory", "OOM" },
        { "read-only replica", "READONLY" },
    };

    [Theory]
    [MemberData(nameof(Refusals))]
    public async Task Marks_that_redis_refuses_degrade_dedup_once_and_fail_no_batch(string refusal, string reason)
    {
        await using var worker = await InProcessWorker.StartAsync(fixture);
        var plan = new PublishPlan(Count: 1000, DuplicateShare: 0.2, MalformedShare: 0, IdPrefix: $"r{Guid.NewGuid():N}", Seed: 6);
        var (bodies, ids, _) = SampleMessages.Build(plan);

        await RefuseWritesAsync(refusal);
        try
        {
            await worker.PublishAsync(bodies);
            await _backends.WaitForRowsAsync(plan.IdPrefix, ids.Count);
            await Within.UntilAsync(() => worker.Counter("worker.messages.processed") + worker.Counter("worker.messages.duplicate") == bodies.Count, InProcessWorker.Within, "every message accounted for");
        }
        finally
        {
            await AcceptWritesAsync(refusal);
        }

        Assert.Equal(ids.Count, worker.Counter("worker.messages.processed"));
        var refused = worker.Logs.Where(line => line.Contains("Redis does not take the marks", StringComparison.Ordinal)).ToList();
        Assert.True(refused.Count == 1, $"Expected one warning, got: {string.Join(" | ", refused)}");
        Assert.True(refused[0].Contains(reason, StringComparison.Ordinal), refused[0]);
        Assert.DoesNotContain(worker.Logs, line => line.Contains("A batch failed", StringComparison.Ordinal));

        // Once Redis takes writes again, so do the marks, and the recovery is said once.
        var after = $"{plan.IdPrefix}-after";
        await worker.PublishAsync([.. Enumerable.Range(0, 50).Select(i => SampleMessages.Valid($"{after}-{i}"))]);
        await _backends.WaitForRowsAsync(after, 50);
        // The client may have taken a read-only Redis for a replica, and checks its role again every minute.
        await Within.UntilAsync(async () => await _backends.RedisKeysAsync("worker:stored:*" + after) > 0, TimeSpan.FromMinutes(2), "marks written again");
        Assert.Single(worker.Logs, line => line.Contains("Redis takes the marks of stored ids again", StringComparison.Ordinal));
    }

    private async Task RefuseWritesAsync(string refusal)
    {
        if (refusal == "out of memory")
        {
            await _backends.RedisCommandAsync("CONFIG", "SET", "maxmemory-policy", "noeviction");
            await _backends.RedisCommandAsync("CONFIG", "SET", "maxmemory", "1");
        }
        else
        {
            // A primary nobody listens for: the server stays a replica that serves reads and refuses writes.
            await _backends.RedisCommandAsync("REPLICAOF", "127.0.0.1", "1");
        }
    }

    private async Task AcceptWritesAsync(string refusal)
    {
        if (refusal == "out of memory")
        {
            await _backends.RedisCommandAsync("CONFIG", "SET", "maxmemory", "0");
        }
        else
        {
            await _backends.RedisCommandAsync("REPLICAOF", "NO", "ONE");
        }
    }
}
