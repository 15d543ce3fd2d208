using Worker.Commands;

namespace Worker.Tests.Integration;

/// <summary>
/// Two batches in flight at once: the later one can commit first, but it is acked only after the one cut before it,
/// since an ack with <c>multiple</c> covers every lower tag of the channel, the earlier batch's uncommitted ones too.
/// </summary>
[Collection(nameof(AppCollection))]
public sealed class OverlappingBatchesTests(AppFixture fixture)
{
    private readonly Backends _backends = new(fixture.App);

    [Fact]
    public async Task A_batch_committed_while_the_one_ahead_of_it_waits_is_not_acked_before_it()
    {
        var prefix = $"ov{Guid.NewGuid():N}";
        List<byte[]> bodies = [.. Enumerable.Range(0, 10).Select(i => SampleMessages.Valid($"{prefix}-a{i}")), .. Enumerable.Range(0, 10).Select(i => SampleMessages.Valid($"{prefix}-b{i}"))];
        var worker = await InProcessWorker.StartAsync(fixture, new Dictionary<string, string?>
        {
            ["Messaging:BatchSize"] = "10",
            ["Messaging:BatchesInFlight"] = "2",
            ["Messaging:DrainTimeout"] = "00:00:02",
        });
        await using (worker)
        {
            // The first batch's insert waits for another session's uncommitted row of one of its ids.
            await using (await _backends.HoldUncommittedRowAsync($"{prefix}-a0"))
            {
                await worker.PublishAsync(bodies);
                await _backends.WaitForRowsAsync($"{prefix}-b", 10);
                // Time for an ack sent out of order to reach the broker.
                await Task.Delay(TimeSpan.FromSeconds(1));
                Assert.Equal(0, await _backends.RowsAsync($"{prefix}-a"));

                // The drain gives up on the waiting batch; what was not acked goes back to the queue.
                await worker.StopAsync();
            }
        }

        var requeued = await _backends.BrokerAsync(async channel =>
        {
            var count = (await channel.QueueDeclarePassiveAsync(worker.Queue)).MessageCount;
            await channel.QueueDeleteAsync(worker.Queue, ifUnused: false, ifEmpty: false);
            return count;
        });
        Assert.Equal(20u, requeued);
    }
}
