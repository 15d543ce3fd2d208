using Worker.Commands;

namespace Worker.Tests.Integration;

/// <summary>
/// Two batches in flight at once: the later one can commit first, but it is acked only after the one cut before it,
/// since an ack with <c>multiple</c> covers every lower tag of the channel, the earlier batch's uncommitted ones too.
/// </summary>
[Collection(nameof(AppCollection))]
public sealed class OverlappingBatchesTests(AppFixture fixture)
{
    // Batches of ten, cut by count: the window is long enough for all twenty to arrive, so the cut is ten and ten.
    private static readonly Dictionary<string, string?> TwoBatchesOfTen = new()
    {
        ["Messaging:BatchSize"] = "10",
        ["Messaging:BatchesInFlight"] = "2",
        ["Messaging:BatchWindow"] = "00:00:05",
        ["Messaging:DrainTimeout"] = "00:00:02",
    };

    private readonly Backends _backends = new(fixture.App);

    [Fact]
    public async Task A_batch_committed_while_the_one_ahead_of_it_waits_is_not_acked_before_it()
    {
        var prefix = $"ov{Guid.NewGuid():N}";
        var worker = await InProcessWorker.StartAsync(fixture, TwoBatchesOfTen);
        await using (worker)
        {
            // The first batch's insert waits for another session's uncommitted row of one of its ids.
            await using (await _backends.HoldUncommittedRowAsync($"{prefix}-a0"))
            {
                await worker.PublishAsync(Bodies(prefix));
                await _backends.WaitForRowsAsync($"{prefix}-b", 10);
                Assert.Equal(0, await _backends.RowsAsync($"{prefix}-a"));

                // The drain gives up on the waiting batch; what was not acked goes back to the queue.
                await worker.StopAsync();
            }
        }

        await Within.UntilAsync(async () => await ReadyAsync(worker.Queue) == 20, InProcessWorker.Within, "both batches back in the queue, unacked");
        await DeleteAsync(worker.Queue);
    }

    [Fact]
    public async Task Once_the_batch_ahead_commits_both_are_acked()
    {
        var prefix = $"ov{Guid.NewGuid():N}";
        var worker = await InProcessWorker.StartAsync(fixture, TwoBatchesOfTen);
        await using (worker)
        {
            await using (await _backends.HoldUncommittedRowAsync($"{prefix}-a0"))
            {
                await worker.PublishAsync(Bodies(prefix));
                await _backends.WaitForRowsAsync($"{prefix}-b", 10);
            }

            await _backends.WaitForRowsAsync($"{prefix}-a", 10);
            await Within.UntilAsync(() => worker.Counter("worker.messages.processed") == 20, InProcessWorker.Within, "both batches counted");
            await worker.StopAsync();
        }

        Assert.Equal(0u, await ReadyAsync(worker.Queue));
        await DeleteAsync(worker.Queue);
    }

    private static List<byte[]> Bodies(string prefix) =>
        [.. Enumerable.Range(0, 10).Select(i => SampleMessages.Valid($"{prefix}-a{i}")), .. Enumerable.Range(0, 10).Select(i => SampleMessages.Valid($"{prefix}-b{i}"))];

    private Task<uint> ReadyAsync(string queue) => _backends.BrokerAsync(async channel => (await channel.QueueDeclarePassiveAsync(queue)).MessageCount);

    private Task DeleteAsync(string queue) => _backends.BrokerAsync(async channel => await channel.QueueDeleteAsync(queue, ifUnused: false, ifEmpty: false));
}
